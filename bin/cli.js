#!/usr/bin/env node
'use strict';
/*
 * `npm run cli -- <command>` starts here. Plain CommonJS with no dependencies, so it runs in both
 * installs:
 * - development (devDependencies present): the TypeScript sources through @swc-node/register, so
 *   the CLI is never older than the code beside it;
 * - production (`npm prune --omit=dev`): the compiled dist/src/cli/main.js; nothing is compiled.
 * It prints nothing of its own on stdout: stdout belongs to the command (`--json`).
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function canResolve(id) {
  try {
    require.resolve(id, { paths: [root] });
    return true;
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') return false;
    throw error;
  }
}

if (canResolve('@swc-node/register')) {
  require('@swc-node/register');
  require(path.join(root, 'src', 'cli', 'main.ts'));
} else {
  const compiled = path.join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(compiled)) {
    process.stderr.write(
      'dist/src/cli/main.js is missing and the devDependencies are not installed: run `npm run build` before `npm prune --omit=dev` (README, Production).\n',
    );
    process.exit(1);
  }
  require(compiled);
}
