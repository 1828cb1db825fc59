// Micro-benchmark of data protection on the production build (`npm run build` first): protects and
// unprotects a grant-sized payload in one process over an in-memory key ring and prints ops/s and
// the CPU time per operation (user + system: steadier than ops/s when other work shares the
// machine). It tells whether the per-payload key derivation (one KDF call per protect/unprotect)
// costs what it should; it is not a server benchmark (see run.mjs for those).
//
// Settings: BENCH_DURATION (seconds per scenario, default 3), BENCH_WARMUP (default 1),
// BENCH_PLAINTEXT_BYTES (default 300, about a persisted refresh-token grant), BENCH_DIST (the
// build to measure, default dist/: point it at another build to compare two versions).
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const { Logger } = require('@nestjs/common');
const DIST = resolve(process.env.BENCH_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createEphemeralDataProtection } = require(`${DIST}/src/data-protection/ephemeral-data-protection.provider.js`);

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const PLAINTEXT_BYTES = Number(process.env.BENCH_PLAINTEXT_BYTES ?? 300);

Logger.overrideLogger(false);
const { provider } = createEphemeralDataProtection();
const protector = provider.createProtector('bench', 'grants');
const plaintext = randomBytes(PLAINTEXT_BYTES).toString('base64url').slice(0, PLAINTEXT_BYTES);
const payload = await protector.protect(plaintext);

/** Runs `operation` sequentially for `seconds` and returns the count with the CPU time spent. */
async function measure(operation, seconds) {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  while (process.hrtime.bigint() < deadline) {
    // Batches keep the clock reads out of the figures.
    for (let i = 0; i < 100; i += 1) await operation();
    count += 100;
  }
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const cpu = process.cpuUsage(cpuBefore);
  return { count, elapsedNs, cpuUs: cpu.user + cpu.system };
}

const SCENARIOS = [
  { name: 'protect', run: () => protector.protect(plaintext) },
  { name: 'unprotect', run: () => protector.unprotect(payload) },
  { name: 'protect + unprotect', run: async () => protector.unprotect(await protector.protect(plaintext)) },
];

const rows = [];
for (const scenario of SCENARIOS) {
  await measure(scenario.run, WARMUP);
  const { count, elapsedNs, cpuUs } = await measure(scenario.run, DURATION);
  rows.push({
    scenario: scenario.name,
    'ops/s': Math.round(count / (elapsedNs / 1e9)),
    'CPU µs/op': (cpuUs / count).toFixed(2),
  });
}
console.log(`payload ${payload.length} chars for ${PLAINTEXT_BYTES} bytes of plaintext; node ${process.version}`);
console.table(rows);
