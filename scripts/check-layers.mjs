#!/usr/bin/env node
// The layering of src/: each top-level folder has a rank, and a file may import only from its
// own folder or from a folder of a lower rank. `node scripts/check-layers.mjs [SRC_DIR]` prints
// every import that points up (or into a folder no layer names) and exits 1 when there is one;
// `npm test` runs it through test/architecture/layering.int-spec.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lowest first. A folder may import only from folders listed before it (or from itself). */
export const LAYERS = [
  // foundations: no feature knowledge
  ['common'],
  ['config'],
  ['logging', 'metrics'],
  ['protocol'],
  // persistence and infrastructure
  ['database'],
  ['caching'],
  ['data-protection'],
  ['stores'],
  ['hosting'],
  ['key-management'],
  // building blocks of the endpoints
  ['resources'],
  ['sessions'],
  ['consent'],
  ['client-authentication'],
  ['token-issuance'],
  // endpoints and pages
  ['authorize'],
  ['ui'],
  // sign-in through external providers: a page flow beside the login page; end session calls it at logout
  ['federation'],
  ['device-flow', 'end-session'],
  ['token-endpoint'],
  ['token-exchange'],
  ['introspection', 'revocation', 'userinfo'],
  // the admin API validates access tokens as userinfo does
  ['admin'],
  ['token-cleanup'],
  ['discovery'],
  ['health'],
  // the deployment checks (doctor, `deployment` indicator, instance registry) look at everything below
  ['deployment'],
  // composition: the module that wires everything, the process entry points
  ['identity-server'],
  ['cli'],
  ['main'],
];

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder) => [folder, rank])));

/** The layer a path under src/ belongs to: its top folder, or a root file's name without `.ts`. */
function layerOf(pathUnderSrc) {
  const [top, ...rest] = pathUnderSrc.split('/');
  if (rest.length > 0) return top;
  // root files: identity-server.module.ts, app.factory.ts → identity-server; main.ts → main
  if (top === 'main.ts') return 'main';
  return 'identity-server';
}

function sourceFiles(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every import of src/ that points to a higher layer, or from/to a folder no layer lists. */
export function findViolations(srcRoot) {
  const violations = [];
  for (const file of sourceFiles(srcRoot)) {
    const from = layerOf(relative(srcRoot, file));
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(srcRoot, resolve(dirname(file), match[1]));
      if (target.startsWith('..')) continue; // outside src/ (e.g. migrations)
      const to = layerOf(target);
      if (to === from) continue;
      const fromRank = rankOf.get(from);
      const toRank = rankOf.get(to);
      const where = `${relative(srcRoot, file)} imports '${match[1]}'`;
      if (fromRank === undefined) violations.push(`${where}: folder "${from}" is in no layer (add it to LAYERS)`);
      else if (toRank === undefined) violations.push(`${where}: folder "${to}" is in no layer (add it to LAYERS)`);
      else if (toRank >= fromRank) violations.push(`${where}: "${from}" may not depend on "${to}" (same or higher layer)`);
    }
  }
  return violations;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const srcRoot = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src'));
  const violations = findViolations(srcRoot);
  for (const violation of violations) console.log(violation);
  console.log(violations.length === 0 ? 'layering: no import points up' : `layering: ${violations.length} imports point up`);
  process.exit(violations.length === 0 ? 0 : 1);
}
