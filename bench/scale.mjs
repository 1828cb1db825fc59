// Scale scenario (`npm run bench:scale`, opt-in: it takes minutes). For SQLite, then PostgreSQL
// (BENCH_DATABASE_URL or TEST_DATABASE_URL), it starts two production servers at once: one on an
// empty database and one on a database loaded with BENCH_SCALE_GRANTS persisted grants (default
// 1,000,000: refresh tokens and reference tokens of 100,000 users, with the key, data and column
// sizes of the grants the server itself writes). Then, in short interleaved rounds so both see the
// same load from the rest of the machine, it measures the latency of
//   - refresh: oneTime refresh-token rotation (find by key, consume, store the successor), and
//   - introspection of reference tokens (find by key),
// and prints p50/p99 for each server with the ratio loaded ÷ empty (target ≤ 1.2).
// It prints the query plans of the hot queries on the loaded database (find by key, consume,
// family lookup, by subject/client/session for revocation, by session, cleanup batch), then
// marks every loaded grant expired and measures the same latencies while the server's own
// scheduled cleanup (TOKEN_CLEANUP_INTERVAL, TOKEN_CLEANUP_BATCH_SIZE) removes them in batches.
//
// Settings: BENCH_SCALE_GRANTS (default 1000000), BENCH_SCALE_USERS (100000), BENCH_SCALE_ROUNDS
// (rounds of interleaved measurement, default 4), BENCH_DURATION (seconds per measurement,
// default 3), BENCH_CONNECTIONS (concurrent requests, default 8), BENCH_SCALE_ENGINES
// (sqlite,postgres), BENCH_CLEANUP_BATCH (TOKEN_CLEANUP_BATCH_SIZE of the servers, default 100 as
// in production), BENCH_CLEANUP_MAX (seconds to follow the cleanup, default 300; the time shown
// includes up to 30 s until the servers' next scheduled sweep, TOKEN_CLEANUP_INTERVAL=30s).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { basic, deviceTokens, median, postForm, quantile, sleep, startServer, stopProcess } from './lib.mjs';

const GRANTS = Number(process.env.BENCH_SCALE_GRANTS ?? 1_000_000);
const USERS = Number(process.env.BENCH_SCALE_USERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_SCALE_ROUNDS ?? 4);
const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ENGINES = (process.env.BENCH_SCALE_ENGINES ?? 'sqlite,postgres').split(',');
const CLEANUP_BATCH = Number(process.env.BENCH_CLEANUP_BATCH ?? 100);
const CLEANUP_MAX = Number(process.env.BENCH_CLEANUP_MAX ?? 300);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const FILLER_CLIENTS = 10;

const config = {
  clients: [
    {
      clientId: 'bench.device', clientName: 'Bench device', requireClientSecret: false,
      allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      allowedScopes: ['openid', 'profile', 'api1'], allowOfflineAccess: true,
    },
    { clientId: 'bench.reference', clientSecrets: [{ type: 'SharedSecret', value: 'bench-secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], accessTokenType: 'reference' },
  ],
  identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', userClaims: ['name'] }],
  apiScopes: [{ name: 'api1' }],
  apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
  users: Array.from({ length: CONNECTIONS }, (_, i) => ({ subjectId: `bench-${i}`, username: `bench${i}`, password: `bench${i}`, claims: { name: `Bench User ${i}` } })),
};

const log = (message) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** SQL written with $n parameters, for both engines (SQLite gets `?`). */
function sqliteDatabase(file) {
  const db = new Database(file);
  db.pragma('busy_timeout = 30000');
  const sql = (text) => text.replace(/\$\d+/g, '?');
  return {
    name: 'sqlite',
    async query(text, params = []) {
      const statement = db.prepare(sql(text));
      return statement.reader ? statement.all(...params) : (statement.run(...params), []);
    },
    async explain(text, params) {
      return db.prepare(`EXPLAIN QUERY PLAN ${sql(text)}`).all(...params).map((row) => row.detail).join(' | ');
    },
    /** Rows as arrays in the column order of `columns`, in transactions of 10,000. */
    async insert(columns, rows) {
      const statement = db.prepare(`INSERT INTO persisted_grants (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      const many = db.transaction((batch) => { for (const row of batch) statement.run(...row); });
      let batch = [];
      for (const row of rows) {
        batch.push(row.map((value) => (value instanceof Date ? sqliteDate(value) : value)));
        if (batch.length === 10_000) {
          many(batch);
          batch = [];
          await sleep(0);
        }
      }
      if (batch.length) many(batch);
    },
    date: sqliteDate,
    async close() { db.close(); },
  };
}

/** How TypeORM's SQLite drivers write a `Date` column. */
function sqliteDate(date) {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

async function postgresDatabase(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name: 'postgres',
    async query(text, params = []) {
      return (await client.query(text, params)).rows;
    },
    async explain(text, params) {
      const analyze = /^\s*select/i.test(text) ? 'ANALYZE, ' : '';
      const rows = (await client.query(`EXPLAIN (${analyze}COSTS OFF) ${text}`, params)).rows;
      return rows.map((row) => row['QUERY PLAN'].trim()).filter((line) => !/^(Planning|Execution) Time/.test(line) || analyze).join(' | ');
    },
    /** Multi-row INSERT … SELECT FROM unnest(arrays), 5,000 rows a statement. */
    async insert(columns, rows) {
      const types = { key: 'varchar', type: 'varchar', subject_id: 'varchar', session_id: 'varchar', client_id: 'varchar', family_id: 'varchar', creation_time: 'timestamptz', expiration: 'timestamptz', data: 'text' };
      const text = `INSERT INTO persisted_grants (${columns.join(', ')}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${types[c]}[]`).join(', ')})`;
      let arrays = columns.map(() => []);
      let count = 0;
      for (const row of rows) {
        row.forEach((value, i) => arrays[i].push(value));
        if (++count === 5_000) {
          await client.query(text, arrays);
          arrays = columns.map(() => []);
          count = 0;
        }
      }
      if (count) await client.query(text, arrays);
    },
    date: (date) => date,
    async close() { await client.end(); },
  };
}

/**
 * GRANTS rows like the server's own: per user, refresh tokens (each its own family, one of two
 * sessions) and reference tokens, across FILLER_CLIENTS clients, expiring over the next 30 days.
 * `sizes` are the key and data lengths of real grants of each type.
 */
function* fillerRows(sizes, now) {
  const pool = randomBytes(1 << 20).toString('base64url');
  const slice = (length) => {
    const start = Math.floor(Math.random() * (pool.length - length));
    return pool.slice(start, start + length);
  };
  for (let i = 0; i < GRANTS; i++) {
    const user = i % USERS;
    const refresh = i % 2 === 0;
    const size = refresh ? sizes.refresh_token : sizes.reference_token;
    const creation = new Date(now - (i % 86_400) * 1000);
    const expiration = new Date(now + 3_600_000 + (i % (30 * 86_400)) * 1000);
    yield [
      randomBytes(Math.ceil(size.key * 0.75)).toString('base64url').slice(0, size.key),
      refresh ? 'refresh_token' : 'reference_token',
      `user-${user}`,
      `session-${user}-${i % 4 < 2 ? 0 : 1}`,
      `bench.filler.${i % FILLER_CLIENTS}`,
      refresh ? randomUUID() : null,
      creation,
      expiration,
      slice(size.data),
    ];
  }
}

/** Average key and data length of each type the server wrote. */
async function grantSizes(db) {
  const rows = await db.query('SELECT type, AVG(LENGTH(key)) AS k, AVG(LENGTH(data)) AS d, COUNT(*) AS n FROM persisted_grants GROUP BY type');
  const sizes = {};
  for (const row of rows) sizes[row.type] = { key: Math.round(Number(row.k)), data: Math.round(Number(row.d)), count: Number(row.n) };
  if (!sizes.refresh_token || !sizes.reference_token) throw new Error(`no real grants to size the filler on: ${JSON.stringify(rows)}`);
  return sizes;
}

/** What one server needs for its requests: a refresh-token chain per connection and reference tokens. */
async function prepare(server) {
  const chains = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const tokens = await deviceTokens(server.baseUrl, 'bench.device', 'openid profile api1 offline_access', `bench${i}`);
    chains.push(tokens.refresh_token);
  }
  const references = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basic('bench.reference', 'bench-secret') });
    if (response.status !== 200) throw new Error(`reference token: ${response.status} ${JSON.stringify(response.body)}`);
    references.push(response.body.access_token);
  }
  server.chains = chains;
  server.references = references;
}

const SCENARIOS = {
  /** One oneTime rotation per request; each connection follows its own chain. */
  async refresh(server, connection) {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'refresh_token', client_id: 'bench.device', refresh_token: server.chains[connection] });
    if (response.status !== 200 || !response.body.refresh_token) return false;
    server.chains[connection] = response.body.refresh_token;
    return true;
  },
  async introspection(server, connection) {
    const response = await postForm(`${server.baseUrl}/connect/introspect`, { token: server.references[connection] }, { authorization: basic('urn:api1', 'api1-secret') });
    return response.status === 200 && response.body.active === true;
  },
};

/** CONNECTIONS loops of `scenario` for DURATION s: every latency in ms, and the failures. */
async function measure(server, scenario) {
  const latencies = [];
  let failures = 0;
  const deadline = performance.now() + DURATION * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, connection) => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const ok = await SCENARIOS[scenario](server, connection);
      latencies.push(performance.now() - started);
      if (!ok) failures += 1;
    }
  }));
  return { latencies, failures };
}

/** ROUNDS interleaved rounds of every scenario on every server (the order flips each round). */
async function interleaved(servers, rounds, until = () => false) {
  const results = new Map();
  for (let round = 0; round < rounds && !until(); round++) {
    for (const scenario of Object.keys(SCENARIOS)) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        // During the cleanup, a measurement that would start after it ended is left out.
        if (until()) break;
        const key = `${server.label}\u0000${scenario}`;
        const { latencies, failures } = await measure(server, scenario);
        const entry = results.get(key) ?? { latencies: [], failures: 0, rates: [] };
        entry.latencies.push(...latencies);
        entry.failures += failures;
        entry.rates.push(latencies.length / DURATION);
        results.set(key, entry);
      }
    }
  }
  return results;
}

function summary(results, label, scenario) {
  const entry = results.get(`${label}\u0000${scenario}`);
  return {
    p50: Number(quantile(entry.latencies, 0.5).toFixed(2)),
    p99: Number(quantile(entry.latencies, 0.99).toFixed(2)),
    rate: Math.round(median(entry.rates)),
    requests: entry.latencies.length,
    failures: entry.failures,
  };
}

const ratio = (a, b) => Number((a / b).toFixed(2));

/** The hot queries of the persisted-grant store, with values taken from the loaded rows. */
async function queryPlans(db) {
  const [sample] = await db.query("SELECT key, subject_id, session_id, client_id, family_id FROM persisted_grants WHERE type = 'refresh_token' AND client_id = 'bench.filler.2' LIMIT 1");
  const now = db.date(new Date());
  const queries = {
    'find by key (get)': ['SELECT * FROM persisted_grants WHERE key = $1 LIMIT 1', [sample.key]],
    'consume': ['UPDATE persisted_grants SET consumed_time = $1 WHERE key = $2 AND consumed_time IS NULL', [now, `${sample.key}-absent`]],
    'family lookup (getAll)': ["SELECT * FROM persisted_grants WHERE family_id = $1 AND type = 'refresh_token' ORDER BY creation_time ASC, key ASC", [sample.family_id]],
    'revocation: by subject, client, session, type': ["DELETE FROM persisted_grants WHERE subject_id = $1 AND client_id = $2 AND session_id = $3 AND type = 'reference_token'", [`${sample.subject_id}-absent`, sample.client_id, sample.session_id]],
    'by subject (grants page)': ['SELECT * FROM persisted_grants WHERE subject_id = $1', [sample.subject_id]],
    'by session (logout)': ['SELECT * FROM persisted_grants WHERE session_id = $1', [sample.session_id]],
    'cleanup batch': ['DELETE FROM persisted_grants WHERE key IN (SELECT key FROM persisted_grants WHERE expiration < $1 ORDER BY expiration LIMIT 100)', [now]],
  };
  const plans = [];
  for (const [name, [text, params]] of Object.entries(queries)) plans.push({ engine: db.name, query: name, plan: await db.explain(text, params) });
  return plans;
}

async function scale(engine, databaseUrl, emptyUrl, dir) {
  const settings = { TOKEN_CLEANUP_INTERVAL: '30s', TOKEN_CLEANUP_BATCH_SIZE: String(CLEANUP_BATCH) };
  const servers = [];
  let db;
  try {
    const loaded = await startServer({ label: `${engine}-loaded`, databaseUrl, dir, settings });
    servers.push(loaded);
    const empty = await startServer({ label: `${engine}-empty`, databaseUrl: emptyUrl, dir, settings });
    servers.push(empty);
    await prepare(loaded);
    await prepare(empty);
    db = engine === 'sqlite' ? sqliteDatabase(databaseUrl.slice('sqlite:'.length)) : await postgresDatabase(databaseUrl);
    const sizes = await grantSizes(db);
    log(`${engine}: real grant sizes ${JSON.stringify(sizes)}; loading ${GRANTS} grants of ${USERS} users`);
    const columns = ['key', 'type', 'subject_id', 'session_id', 'client_id', 'family_id', 'creation_time', 'expiration', 'data'];
    let started = performance.now();
    await db.insert(columns, fillerRows(sizes, Date.now()));
    await db.query(engine === 'sqlite' ? 'ANALYZE' : 'ANALYZE persisted_grants');
    const loadSeconds = (performance.now() - started) / 1000;
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM persisted_grants');
    log(`${engine}: ${n} rows after ${loadSeconds.toFixed(1)} s (insert and ANALYZE)`);

    const plans = await queryPlans(db);

    log(`${engine}: ${ROUNDS} interleaved rounds, ${DURATION} s each`);
    const results = await interleaved([empty, loaded], ROUNDS);
    const rows = [];
    for (const scenario of Object.keys(SCENARIOS)) {
      const e = summary(results, empty.label, scenario);
      const l = summary(results, loaded.label, scenario);
      rows.push({
        engine, scenario, 'empty p50 ms': e.p50, 'empty p99 ms': e.p99, 'loaded p50 ms': l.p50, 'loaded p99 ms': l.p99,
        'p50 loaded÷empty': ratio(l.p50, e.p50), 'p99 loaded÷empty': ratio(l.p99, e.p99), 'req/s empty → loaded': `${e.rate} → ${l.rate}`, failures: e.failures + l.failures,
      });
    }

    // Every loaded grant expires now; the server's scheduled cleanup removes them while we measure.
    started = performance.now();
    const past = db.date(new Date(Date.now() - 3_600_000));
    await db.query("UPDATE persisted_grants SET expiration = $1 WHERE client_id LIKE 'bench.filler.%'", [past]);
    log(`${engine}: ${GRANTS} grants marked expired in ${((performance.now() - started) / 1000).toFixed(1)} s; following the cleanup for at most ${CLEANUP_MAX} s`);
    const cleanupStart = performance.now();
    // Progress comes from the server's own grants_cleaned_total (counted when a sweep ends), not
    // from the database: counting a million rows every few seconds would load the machine and,
    // on SQLite, hold back the checkpoints of the server's writes.
    const cleaned = async () => {
      const text = await (await fetch(`${loaded.baseUrl}/metrics`)).text();
      return Number(/^grants_cleaned_total\{kind="persisted_grant"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const cleanedBefore = await cleaned();
    let doneAt;
    const watcher = (async () => {
      while ((await cleaned()) - cleanedBefore < GRANTS && performance.now() - cleanupStart < CLEANUP_MAX * 1000) await sleep(1000);
      doneAt = performance.now();
    })();
    const during = await interleaved([empty, loaded], 1_000, () => doneAt !== undefined);
    await watcher;
    const [{ n: left }] = await db.query("SELECT COUNT(*) AS n FROM persisted_grants WHERE client_id LIKE 'bench.filler.%'");
    const remaining = Number(left);
    const cleanupSeconds = (doneAt - cleanupStart) / 1000;
    const cleanup = { engine, 'removed': GRANTS - remaining, 'left': remaining, 'followed s': Number(cleanupSeconds.toFixed(1)), 'batch size': CLEANUP_BATCH };
    for (const scenario of Object.keys(SCENARIOS)) {
      const e = summary(during, empty.label, scenario);
      const l = summary(during, loaded.label, scenario);
      rows.push({
        engine, scenario: `${scenario} during cleanup`, 'empty p50 ms': e.p50, 'empty p99 ms': e.p99, 'loaded p50 ms': l.p50, 'loaded p99 ms': l.p99,
        'p50 loaded÷empty': ratio(l.p50, e.p50), 'p99 loaded÷empty': ratio(l.p99, e.p99), 'req/s empty → loaded': `${e.rate} → ${l.rate}`, failures: e.failures + l.failures,
      });
    }
    return { rows, plans, cleanup, load: { engine, grants: Number(n), 'load + ANALYZE s': Number(loadSeconds.toFixed(1)), sizes: JSON.stringify(sizes) } };
  } finally {
    await db?.close();
    for (const server of servers) await stopProcess(server.child);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'idsrv-bench-scale-'));
writeFileSync(join(dir, 'identity.json'), JSON.stringify(config));
const began = performance.now();
const outcomes = [];
try {
  if (ENGINES.includes('sqlite')) {
    outcomes.push(await scale('sqlite', `sqlite:${join(dir, 'loaded.sqlite')}`, `sqlite:${join(dir, 'empty.sqlite')}`, dir));
  }
  if (ENGINES.includes('postgres')) {
    if (!POSTGRES_URL) {
      log('BENCH_DATABASE_URL / TEST_DATABASE_URL unset: PostgreSQL skipped');
    } else {
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      const names = [`bench_scale_${randomBytes(4).toString('hex')}`, `bench_empty_${randomBytes(4).toString('hex')}`];
      const urlOf = (name) => Object.assign(new URL(POSTGRES_URL), { pathname: `/${name}` }).toString();
      try {
        for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
        outcomes.push(await scale('postgres', urlOf(names[0]), urlOf(names[1]), dir));
      } finally {
        for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`\n${GRANTS} grants, ${USERS} users; ${CONNECTIONS} concurrent requests, ${ROUNDS} interleaved rounds of ${DURATION} s; node ${process.version}; ${((performance.now() - began) / 60_000).toFixed(1)} min in all\n`);
console.table(outcomes.map((o) => o.load));
console.table(outcomes.flatMap((o) => o.rows));
console.table(outcomes.map((o) => o.cleanup));
for (const plan of outcomes.flatMap((o) => o.plans)) process.stdout.write(`${plan.engine} ${plan.query}: ${plan.plan}\n`);
