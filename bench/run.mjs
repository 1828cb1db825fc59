// Benchmark of the production build (`npm run bench` builds first): starts `node dist/src/main.js`
// on a free loopback port, once with SQLite and once with PostgreSQL (when BENCH_DATABASE_URL or
// TEST_DATABASE_URL is set), drives each scenario with autocannon after a warm-up and prints
// req/s, p50/p99 latency, the server's CPU time per request (user + system, all threads: steadier
// than req/s when other work shares the machine) and its peak RSS (VmHWM).
//
// The scenarios that read clients and resources (client_credentials, introspection) also run
// against a second server with CONFIGURATION_STORE=database (its own database, seeded from the
// same file), alternating with the file store's server for BENCH_ROUNDS rounds (file first in odd
// rounds, database first in even ones, so both share whatever else loads the machine); each
// figure is the median of its rounds, and the ratios database ÷ file are printed at the end with
// how often the database server read its configuration tables while measured (should be 0: the
// token endpoint reads no table per request).
//
// Settings: BENCH_DURATION (seconds per scenario, default 10), BENCH_WARMUP (default 3),
// BENCH_CONNECTIONS (default 32), BENCH_ONLY (comma list of scenario names), BENCH_BASELINE=0 to
// skip the bare node:http + jose signer (bench/bare-signer.mjs) measured first as a reference,
// BENCH_CONFIGURATION_DATABASE=0 to skip the CONFIGURATION_STORE=database runs, BENCH_ROUNDS
// (default 3) for the alternation above.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { basic, BENCH_CONFIG, cpuMicros, FORM, freePort, median, memoryKiB, startServer, stopProcess } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const CONFIGURATION_DATABASE = process.env.BENCH_CONFIGURATION_DATABASE !== '0';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);



function tokenRequest(clientId) {
  return { method: 'POST', path: '/connect/token', headers: { 'content-type': FORM, authorization: basic(clientId, 'bench-secret') }, body: 'grant_type=client_credentials&scope=api1' };
}

/** Scenarios in order; `prepare` may fetch what the requests need (a token to introspect). */
const SCENARIOS = [
  { name: 'discovery', request: () => ({ method: 'GET', path: '/.well-known/openid-configuration' }) },
  { name: 'jwks', request: () => ({ method: 'GET', path: '/.well-known/openid-configuration/jwks' }) },
  { name: 'client_credentials RS256 JWT', configuration: true, request: () => tokenRequest('bench.rs256') },
  { name: 'client_credentials ES256 JWT', configuration: true, request: () => tokenRequest('bench.es256') },
  { name: 'client_credentials reference', configuration: true, request: () => tokenRequest('bench.reference') },
  {
    name: 'introspection (reference)',
    configuration: true,
    prepare: async (baseUrl) => {
      const { method, path, headers, body } = tokenRequest('bench.reference');
      const response = await fetch(baseUrl + path, { method, headers, body });
      const { access_token: token } = await response.json();
      if (!token) throw new Error(`could not obtain a reference token: ${response.status}`);
      return token;
    },
    request: (token) => ({ method: 'POST', path: '/connect/introspect', headers: { 'content-type': FORM, authorization: basic('urn:api1', 'api1-secret') }, body: `token=${token}` }),
  },
];

/** Throughput swings with other load on a shared machine; CPU time per request much less. */
function cpuPerRequest(pid, before, result) {
  const requests = result.requests.total;
  return requests > 0 ? Math.round((cpuMicros(pid) - before) / requests) : NaN;
}

function run(baseUrl, request, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url: baseUrl, connections: CONNECTIONS, duration, requests: [request] }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** configuration_reloads_total of the server: its reads of the configuration (tables or file). */
async function configurationReads(server) {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(/^configuration_reloads_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** Warm-up, then one measured run of `request` against `server`. */
async function measure(label, scenario, server, request) {
  // Check the scenario answers 200 before measuring it.
  const probe = await fetch(server.baseUrl + request.path, { method: request.method, headers: request.headers, body: request.body });
  if (probe.status !== 200) throw new Error(`${label} ${scenario.name}: expected 200, got ${probe.status} ${await probe.text()}`);
  await run(server.baseUrl, request, WARMUP);
  const readsBefore = await configurationReads(server);
  const cpuBefore = cpuMicros(server.child.pid);
  const result = await run(server.baseUrl, request, DURATION);
  const cpu = cpuPerRequest(server.child.pid, cpuBefore, result);
  const reads = (await configurationReads(server)) - readsBefore;
  process.stderr.write(`${label} ${scenario.name}: ${Math.round(result.requests.average)} req/s, ${cpu} CPU µs/req\n`);
  return {
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'CPU µs/req': cpu,
    'peak RSS MiB': Math.round(memoryKiB(server.child.pid, 'VmHWM') / 1024),
    failures: result.non2xx + result.errors + result.timeouts,
    reads,
  };
}

/** One row of the table from the rounds of one scenario on one server: medians, failures and reads summed. */
function row(label, scenario, runs) {
  const of = (key) => median(runs.map((r) => r[key]));
  return {
    database: label,
    scenario: scenario.name,
    'req/s': Math.round(of('req/s')),
    'p50 ms': of('p50 ms'),
    'p99 ms': of('p99 ms'),
    'CPU µs/req': Math.round(of('CPU µs/req')),
    'peak RSS MiB': Math.max(...runs.map((r) => r['peak RSS MiB'])),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    rounds: runs.length,
    'config reads': runs.reduce((sum, r) => sum + r.reads, 0),
  };
}

/**
 * Every scenario against the file store; the configuration scenarios also against a server on
 * `configurationDatabaseUrl` with CONFIGURATION_STORE=database, alternating with the file store
 * for ROUNDS rounds so both see the same load from the rest of the machine.
 */
async function benchmark(label, databaseUrl, configurationDatabaseUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-bench-'));
  writeFileSync(join(dir, 'identity.json'), JSON.stringify(BENCH_CONFIG));
  const servers = [];
  const rows = [];
  try {
    const file = await startServer({ label, databaseUrl, dir });
    servers.push(file);
    const database = configurationDatabaseUrl
      ? await startServer({ label: `${label}-configuration`, databaseUrl: configurationDatabaseUrl, dir, settings: {
        CONFIGURATION_STORE: 'database',
      } })
      : undefined;
    if (database) servers.push(database);
    const databaseLabel = `${label}, CONFIGURATION_STORE=database`;
    for (const scenario of SCENARIOS) {
      if (ONLY && !ONLY.some((name) => scenario.name.startsWith(name))) continue;
      const request = scenario.request(scenario.prepare ? await scenario.prepare(file.baseUrl) : undefined);
      if (!database || !scenario.configuration) {
        rows.push(row(label, scenario, [await measure(label, scenario, file, request)]));
        continue;
      }
      const databaseRequest = scenario.request(scenario.prepare ? await scenario.prepare(database.baseUrl) : undefined);
      const fileRuns = [];
      const databaseRuns = [];
      for (let round = 0; round < ROUNDS; round++) {
        const measureFile = async () => fileRuns.push(await measure(label, scenario, file, request));
        const measureDatabase = async () => databaseRuns.push(await measure(databaseLabel, scenario, database, databaseRequest));
        if (round % 2 === 0) {
          await measureFile();
          await measureDatabase();
        } else {
          await measureDatabase();
          await measureFile();
        }
      }
      rows.push(row(label, scenario, fileRuns), row(databaseLabel, scenario, databaseRuns));
    }
  } finally {
    for (const server of servers) await stopProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** `count` new PostgreSQL databases for `work(urls)`, dropped afterwards. */
async function withPostgresDatabases(count, work) {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const names = Array.from({ length: count }, () => `bench_${randomBytes(6).toString('hex')}`);
  try {
    for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
    return await work(names.map((name) => {
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${name}`;
      return url.toString();
    }));
  } finally {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** CONFIGURATION_STORE=database against the file store, scenario by scenario: the ratio of req/s and of CPU µs/req. */
function configurationStoreRatios(rows) {
  const ratios = [];
  for (const row of rows) {
    const [label, store] = row.database.split(', ');
    if (store !== 'CONFIGURATION_STORE=database') continue;
    const file = rows.find((other) => other.database === label && other.scenario === row.scenario);
    if (!file) continue;
    ratios.push({
      database: label,
      scenario: row.scenario,
      'req/s database ÷ file': Number((row['req/s'] / file['req/s']).toFixed(3)),
      'CPU µs/req database ÷ file': Number((row['CPU µs/req'] / file['CPU µs/req']).toFixed(3)),
      'table reads while measured': row['config reads'],
    });
  }
  return ratios;
}

/** The bare signer, measured under the same load as the server so the ratio is meaningful. */
async function baseline() {
  const rows = [];
  for (const alg of ['RS256', 'ES256']) {
    const port = await freePort();
    const child = spawn(process.execPath, ['bench/bare-signer.mjs'], { env: { PATH: process.env.PATH, PORT: String(port), ALG: alg }, stdio: ['ignore', 'ignore', 'inherit'] });
    const baseUrl = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await fetch(baseUrl, { method: 'POST' });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const request = tokenRequest('bench.bare');
      request.headers.authorization = basic('bench.bare', 'bench-secret');
      await run(baseUrl, request, WARMUP);
      const cpuBefore = cpuMicros(child.pid);
      const result = await run(baseUrl, request, DURATION);
      rows.push({
        database: '-', scenario: `bare node:http + jose ${alg}`, 'req/s': Math.round(result.requests.average),
        'p50 ms': result.latency.p50, 'p99 ms': result.latency.p99, 'CPU µs/req': cpuPerRequest(child.pid, cpuBefore, result), 'peak RSS MiB': Math.round(memoryKiB(child.pid, 'VmHWM') / 1024),
        failures: result.non2xx + result.errors + result.timeouts,
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  return rows;
}

const rows = [];
if (process.env.BENCH_BASELINE !== '0') rows.push(...await baseline());
const sqliteDir = mkdtempSync(join(tmpdir(), 'idsrv-bench-db-'));
try {
  rows.push(...await benchmark('sqlite', `sqlite:${join(sqliteDir, 'bench.sqlite')}`, CONFIGURATION_DATABASE ? `sqlite:${join(sqliteDir, 'configuration.sqlite')}` : undefined));
} finally {
  rmSync(sqliteDir, { recursive: true, force: true });
}
if (POSTGRES_URL) {
  rows.push(...await withPostgresDatabases(CONFIGURATION_DATABASE ? 2 : 1, ([url, configurationUrl]) => benchmark('postgres', url, configurationUrl)));
} else {
  process.stderr.write('BENCH_DATABASE_URL / TEST_DATABASE_URL unset: PostgreSQL variant skipped\n');
}
process.stdout.write(`\n${CONNECTIONS} connections, ${WARMUP} s warm-up, ${DURATION} s per scenario, node ${process.version}\n`);
console.table(rows);
const ratios = configurationStoreRatios(rows);
if (ratios.length > 0) {
  process.stdout.write('\nCONFIGURATION_STORE=database against the file store (same run, measured one after the other):\n');
  console.table(ratios);
}
