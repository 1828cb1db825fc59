// One server under load, to profile it or to compare two builds (`npm run build` first).
// Starts the production build (BENCH_DIST, default dist/) on SQLite with PROFILE_FLAGS as node
// flags (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, `--heapsnapshot-signal=SIGUSR2`,
// `--max-semi-space-size=4`; with --heapsnapshot-signal=SIGUSR2 a snapshot is taken after the load) and PROFILE_ENV (JSON of extra settings/environment), drives one
// scenario with autocannon (32 connections): SCEN=client_credentials (default; ALG=RS256 or
// ES256) or SCEN=introspection (a reference token). Prints, per run of DUR seconds (REPS runs
// after a 2 s warm-up): req/s and CPU µs/req (user + system, all threads); and over the whole run
// the RSS once started, the peak RSS (VmHWM), and the largest RSS, V8 heap (total, used, new
// space, old space) and external memory read from /metrics every second.
// To compare two builds, copy one (`cp -r dist dist-before`) and alternate BENCH_DIST between them.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basic, cpuMicros, memoryKiB, postForm, startServer, stopProcess } from './lib.mjs';

const DURATION = Number(process.env.DUR ?? 5);
const REPS = Number(process.env.REPS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'idsrv-profile-'));
writeFileSync(join(dir, 'identity.json'), JSON.stringify({
  clients: [
    { clientId: 'c', clientSecrets: [{ type: 'SharedSecret', value: 's' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], allowedTokenSigningAlgorithms: [process.env.ALG ?? 'RS256'] },
    { clientId: 'r', clientSecrets: [{ type: 'SharedSecret', value: 's' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], accessTokenType: 'reference' },
  ],
  identityResources: [{ name: 'openid', userClaims: ['sub'] }],
  apiScopes: [{ name: 'api1' }],
  apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'a' }] }],
  users: [],
}));
const server = await startServer({
  label: 'profile', databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`, dir,
  nodeOptions: (process.env.PROFILE_FLAGS ?? '').split(' ').filter(Boolean), settings: JSON.parse(process.env.PROFILE_ENV ?? '{}'),
});
try {
  let request = { method: 'POST', path: '/connect/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('c', 's') }, body: 'grant_type=client_credentials&scope=api1' };
  if (process.env.SCEN === 'introspection') {
    const { body } = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basic('r', 's') });
    request = { method: 'POST', path: '/connect/introspect', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('urn:api1', 'a') }, body: `token=${body.access_token}` };
  }
  const started = Math.round(memoryKiB(server.child.pid, 'VmRSS') / 1024);
  const load = (seconds) => new Promise((resolve, reject) => {
    autocannon({ url: server.baseUrl, connections: 32, duration: seconds, requests: [request] }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  const peaks = {};
  const METRICS = {
    rss: /^process_resident_memory_bytes (\d+)/m, heapTotal: /^nodejs_heap_size_total_bytes (\d+)/m, heapUsed: /^nodejs_heap_size_used_bytes (\d+)/m,
    newSpace: /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/m, oldSpace: /^nodejs_heap_space_size_total_bytes\{space="old"\} (\d+)/m, external: /^nodejs_external_memory_bytes (\d+)/m,
  };
  const sampler = setInterval(async () => {
    try {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      for (const [name, pattern] of Object.entries(METRICS)) peaks[name] = Math.max(peaks[name] ?? 0, Math.round(Number(pattern.exec(text)?.[1] ?? 0) / 1048576));
    } catch {
      // a missed sample
    }
  }, 1000);
  await load(2);
  const runs = [];
  for (let i = 0; i < REPS; i++) {
    const cpuBefore = cpuMicros(server.child.pid);
    const result = await load(DURATION);
    runs.push({ 'req/s': Math.round(result.requests.average), 'CPU µs/req': Math.round((cpuMicros(server.child.pid) - cpuBefore) / result.requests.total), failures: result.non2xx + result.errors + result.timeouts });
  }
  clearInterval(sampler);
  if (/--heapsnapshot-signal=SIGUSR2/.test(process.env.PROFILE_FLAGS ?? '')) {
    // A heap snapshot of what survives a full GC, right after the load (written where
    // --diagnostic-dir says, else in the current folder); writing it takes a few seconds.
    server.child.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 8000));
  }
  console.log(JSON.stringify({ build: process.env.BENCH_DIST ?? 'dist', scenario: process.env.SCEN ?? `client_credentials ${process.env.ALG ?? 'RS256'}`, 'RSS once started MiB': started, 'peak RSS MiB': Math.round(memoryKiB(server.child.pid, 'VmHWM') / 1024), 'largest of /metrics MiB': peaks, runs }));
} finally {
  await stopProcess(server.child);
  rmSync(dir, { recursive: true, force: true });
}
