// Side-by-side comparison (`npm run bench:compare`): this server (production build, SQLite, file
// configuration), node-oidc-provider 9 (bench/node-oidc-provider.mjs serve) and the bare
// node:http + jose signer (bench/bare-signer.mjs) run all at once. Each scenario is measured in
// short runs interleaved across the servers (the order rotates each round), because a shared
// machine drifts within minutes; each ratio is the median of the ratios of the same round.
// It prints one table: req/s of each server, the ratios this server ÷ oidc-provider and this
// server ÷ bare, CPU µs/req of each server (user + system, all threads: steadier than req/s on a
// loaded machine), and a last row with each server's RSS once started and its peak RSS (VmHWM).
//
// Scenarios: discovery, JWKS, client_credentials RS256 and ES256 JWT (client_secret_basic), and
// introspection (reference tokens in this server's database; opaque tokens in oidc-provider's
// in-memory adapter). The bare server has no JWKS or introspection; its "discovery" is a fixed
// JSON document of the same kind.
//
// node-oidc-provider is not a project dependency: install it in a folder of its own
// (`mkdir /tmp/op && cd /tmp/op && npm init -y && npm i oidc-provider@9`) and set
// BENCH_OIDC_PROVIDER_DIR=/tmp/op, or `npm i --no-save oidc-provider@9` in the project.
// Without it the comparison runs against the bare signer only.
//
// Settings: BENCH_DURATION (seconds per run, default 3), BENCH_WARMUP (seconds, once per
// scenario and server, default 2), BENCH_CONNECTIONS (default 32), BENCH_ROUNDS (default 6:
// on a shared 2-core machine single rounds of ES256 ranged from 0.66 to 1.46 of the bare signer,
// so a median of a few pairs still swung by 0.25 between runs; more and shorter pairs settle it),
// BENCH_ONLY (comma list of scenario-name prefixes), BENCH_DATABASE_URL (this server on
// PostgreSQL instead of SQLite), BENCH_NODE_OPTIONS (extra node flags for this server, e.g.
// --cpu-prof, to profile it under the same load).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_CONFIG, FORM, basic, cpuMicros, freePort, importOidcProvider, median, memoryKiB, postForm, startServer, stopProcess, waitForHttp } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ? process.env.BENCH_NODE_OPTIONS.split(' ').filter(Boolean) : [];


const token = (authorization, body = 'grant_type=client_credentials&scope=api1', path = '/connect/token') => ({ method: 'POST', path, headers: { 'content-type': FORM, authorization }, body });
const OP_BASIC = basic('m2m', 'secret');

/** Per scenario, the request each server answers (absent: the server has no such endpoint). */
const SCENARIOS = [
  {
    name: 'discovery',
    ours: () => ({ method: 'GET', path: '/.well-known/openid-configuration' }),
    op: () => ({ method: 'GET', path: '/.well-known/openid-configuration' }),
    bare: () => ({ method: 'GET', path: '/' }),
  },
  {
    name: 'jwks',
    ours: () => ({ method: 'GET', path: '/.well-known/openid-configuration/jwks' }),
    op: () => ({ method: 'GET', path: '/jwks' }),
  },
  {
    name: 'client_credentials RS256',
    ours: () => token(basic('bench.rs256', 'bench-secret')),
    op: () => token(OP_BASIC, 'grant_type=client_credentials&scope=api1&resource=urn:api1', '/token'),
    bare: () => token(basic('bench.bare', 'bench-secret'), undefined, '/'),
  },
  {
    name: 'client_credentials ES256',
    ours: () => token(basic('bench.es256', 'bench-secret')),
    op: () => token(OP_BASIC, 'grant_type=client_credentials&scope=api1&resource=urn:api2', '/token'),
    bare: () => token(basic('bench.bare', 'bench-secret'), undefined, '/es256'),
  },
  {
    name: 'introspection',
    ours: async (server) => {
      const { body } = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basic('bench.reference', 'bench-secret') });
      return token(basic('urn:api1', 'api1-secret'), `token=${body.access_token}`, '/connect/introspect');
    },
    op: async (server) => {
      const { body } = await postForm(`${server.baseUrl}/token`, { grant_type: 'client_credentials', scope: 'api1', resource: 'urn:api3' }, { authorization: OP_BASIC });
      return token(OP_BASIC, `token=${body.access_token}`, '/token/introspection');
    },
  },
];

function run(baseUrl, request, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url: baseUrl, connections: CONNECTIONS, duration, requests: [request] }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function startChild(label, args, env) {
  const port = await freePort();
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const baseUrl = `http://127.0.0.1:${port}`;
  return { label, child, baseUrl };
}

async function startAll(dir) {
  const servers = [];
  const database = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.sqlite')}`;
  servers.push({ ...(await startServer({ label: 'ours', databaseUrl: database, dir, nodeOptions: NODE_OPTIONS })), key: 'ours' });
  let opAvailable = true;
  try {
    await importOidcProvider();
  } catch {
    opAvailable = false;
    process.stderr.write('oidc-provider is not installed (see the comment at the top of bench/compare.mjs): comparing with the bare signer only\n');
  }
  if (opAvailable) {
    const op = { ...(await startChild('oidc-provider', ['bench/node-oidc-provider.mjs', 'serve'], { BENCH_OIDC_PROVIDER_DIR: process.env.BENCH_OIDC_PROVIDER_DIR ?? '' })), key: 'op' };
    servers.push(op);
    await waitForHttp(`${op.baseUrl}/jwks`, op.child);
  }
  const bare = { ...(await startChild('bare', ['bench/bare-signer.mjs'], {})), key: 'bare' };
  servers.push(bare);
  await waitForHttp(bare.baseUrl, bare.child);
  for (const server of servers) server.idleKiB = memoryKiB(server.child.pid, 'VmRSS');
  return servers;
}

/** One measured run: req/s and CPU µs/req of `server`, failures counted. */
async function measure(server, request) {
  const cpuBefore = cpuMicros(server.child.pid);
  const result = await run(server.baseUrl, request, DURATION);
  const requests = result.requests.total;
  const failures = result.non2xx + result.errors + result.timeouts;
  return { rate: result.requests.average, cpu: requests > 0 ? (cpuMicros(server.child.pid) - cpuBefore) / requests : NaN, failures };
}

const dir = mkdtempSync(join(tmpdir(), 'idsrv-bench-compare-'));
writeFileSync(join(dir, 'identity.json'), JSON.stringify(BENCH_CONFIG));
const rows = [];
let servers = [];
try {
  servers = await startAll(dir);
  for (const scenario of SCENARIOS) {
    if (ONLY && !ONLY.some((name) => scenario.name.startsWith(name))) continue;
    const taking = servers.filter((server) => scenario[server.key]);
    const requests = new Map();
    for (const server of taking) {
      const request = await scenario[server.key](server);
      const probe = await fetch(server.baseUrl + request.path, { method: request.method, headers: request.headers, body: request.body });
      if (probe.status !== 200) throw new Error(`${server.label} ${scenario.name}: expected 200, got ${probe.status} ${await probe.text()}`);
      requests.set(server.key, request);
      await run(server.baseUrl, request, WARMUP);
    }
    const runs = new Map(taking.map((server) => [server.key, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no server always runs first (or right after the heaviest one).
      const order = taking.map((_, i) => taking[(i + round) % taking.length]);
      for (const server of order) {
        const figures = await measure(server, requests.get(server.key));
        runs.get(server.key).push(figures);
        process.stderr.write(`${scenario.name} round ${round + 1} ${server.label}: ${Math.round(figures.rate)} req/s, ${Math.round(figures.cpu)} CPU µs/req\n`);
      }
    }
    const rate = (key) => (runs.has(key) ? Math.round(median(runs.get(key).map((r) => r.rate))) : undefined);
    const cpu = (key) => (runs.has(key) ? Math.round(median(runs.get(key).map((r) => r.cpu))) : undefined);
    // Same-round pairs: the ratio of each round, then their median.
    const ratioTo = (key) => (runs.has(key) ? Number(median(runs.get('ours').map((r, i) => r.rate / runs.get(key)[i].rate)).toFixed(2)) : undefined);
    rows.push({
      scenario: scenario.name,
      'this server req/s': rate('ours'),
      'oidc-provider req/s': rate('op'),
      'bare req/s': rate('bare'),
      'this ÷ oidc-provider': ratioTo('op'),
      'this ÷ bare': ratioTo('bare'),
      'this CPU µs/req': cpu('ours'),
      'oidc-provider CPU µs/req': cpu('op'),
      'bare CPU µs/req': cpu('bare'),
      failures: [...runs.values()].flat().reduce((sum, r) => sum + r.failures, 0),
    });
  }
  const mib = (key, field) => {
    const server = servers.find((s) => s.key === key);
    if (!server) return undefined;
    return field === 'idle' ? Math.round(server.idleKiB / 1024) : Math.round(memoryKiB(server.child.pid, 'VmHWM') / 1024);
  };
  const peak = { ours: mib('ours'), op: mib('op'), bare: mib('bare') };
  rows.push({
    scenario: 'peak RSS MiB (once started)',
    'this server req/s': `${peak.ours} (${mib('ours', 'idle')})`,
    'oidc-provider req/s': peak.op === undefined ? undefined : `${peak.op} (${mib('op', 'idle')})`,
    'bare req/s': `${peak.bare} (${mib('bare', 'idle')})`,
    'this ÷ oidc-provider': peak.op === undefined ? undefined : Number((peak.ours / peak.op).toFixed(2)),
    'this ÷ bare': Number((peak.ours / peak.bare).toFixed(2)),
  });
} finally {
  for (const server of servers) await stopProcess(server.child);
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`\nAll servers running at once; ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${ROUNDS} interleaved rounds of ${DURATION} s per scenario and server; node ${process.version}\n`);
console.table(rows);
