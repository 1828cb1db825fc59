import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres } from '../support/test-app';

const ROOT = join(__dirname, '../..');
const INSTANCES = 3;
const EXPIRED_GRANTS = 100_000;
const EXPIRED_DEVICE_CODES = 2_000;
const EXPIRED_SESSIONS = 2_000;
const LIVE_ROWS = 1_000;
/** rows with no expiration at all (consents): never cleaned */
const NEVER_EXPIRING_GRANTS = 100;

interface CleanupRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** `npm run -s cli -- cleanup --json` as an operator (or a cron job per instance) runs it: its own process. */
function runCleanup(databaseUrl: string): Promise<CleanupRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/cli.js', 'cleanup', '--json'], {
      cwd: ROOT,
      // warn: any warning or error a process logs (a deadlock, a failed batch) shows in its output.
      env: { ...process.env, DATABASE_URL: databaseUrl, CONFIG_FILE: 'config/identity.json', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * Several instances cleaning one PostgreSQL database at the same moment (docs/deployment.md):
 * each batch takes its rows `FOR UPDATE SKIP LOCKED`, so the processes share the work — every
 * expired row deleted exactly once, no deadlock, no error, no live row touched.
 */
describeIfPostgres('token cleanup, three processes at once on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  async function count(query: string): Promise<number> {
    const { rows } = await sql.query<{ n: string }>(query);
    return Number(rows[0].n);
  }

  it(`removes ${EXPIRED_GRANTS} expired grants (and expired device codes and sessions) once, and nothing else`, async () => {
    // Expirations spread over the last days, so batches ordered by expiration interleave.
    await sql.query(`INSERT INTO persisted_grants (key, type, subject_id, client_id, creation_time, expiration, data)
      SELECT 'expired-' || i, 'refresh_token', 'user-' || (i % 500), 'client-' || (i % 7), now() - interval '30 days',
             now() - interval '1 minute' - (i * interval '1 second'), 'x'
      FROM generate_series(1, $1) AS i`, [EXPIRED_GRANTS]);
    await sql.query(`INSERT INTO persisted_grants (key, type, subject_id, client_id, creation_time, expiration, data)
      SELECT 'live-' || i, 'refresh_token', 'user-' || i, 'client', now(), now() + interval '1 day' + (i * interval '1 second'), 'x'
      FROM generate_series(1, $1) AS i`, [LIVE_ROWS]);
    await sql.query(`INSERT INTO persisted_grants (key, type, subject_id, client_id, creation_time, expiration, data)
      SELECT 'forever-' || i, 'user_consent', 'user-' || i, 'client', now() - interval '30 days', NULL, 'x'
      FROM generate_series(1, $1) AS i`, [NEVER_EXPIRING_GRANTS]);
    await sql.query(`INSERT INTO device_codes (device_code_hash, user_code, client_id, creation_time, expiration, data)
      SELECT state || '-' || i, state || '-uc-' || i, 'tv', now() - interval '1 day',
             CASE state WHEN 'expired' THEN now() - (i * interval '1 second') ELSE now() + interval '1 day' END, 'x'
      FROM (VALUES ('expired', $1::int), ('live', $2::int)) AS s(state, n), generate_series(1, n) AS i`, [EXPIRED_DEVICE_CODES, LIVE_ROWS]);
    await sql.query(`INSERT INTO server_side_sessions (key, scheme, subject_id, session_id, created, renewed, expires, data)
      SELECT state || '-' || i, 'idsrv', 'user-' || i, 'sid-' || state || '-' || i, now() - interval '1 day', now() - interval '1 day',
             CASE state WHEN 'expired' THEN now() - (i * interval '1 second') ELSE now() + interval '1 day' END, 'x'
      FROM (VALUES ('expired', $1::int), ('live', $2::int)) AS s(state, n), generate_series(1, n) AS i`, [EXPIRED_SESSIONS, LIVE_ROWS]);
    await sql.query('ANALYZE persisted_grants, device_codes, server_side_sessions');
    expect(await count("SELECT count(*) AS n FROM persisted_grants WHERE expiration < now()")).toBe(EXPIRED_GRANTS);

    const started = Date.now();
    const runs = await Promise.all(Array.from({ length: INSTANCES }, () => runCleanup(database.url)));
    const wallMs = Date.now() - started;

    const reports = runs.map((run) => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/deadlock|error/i);
      return JSON.parse(run.stdout) as { persistedGrants: number; deviceCodes: number; serverSideSessions: number };
    });
    process.stdout.write(`\n[cleanup contention] ${INSTANCES} processes, wall ${wallMs} ms: ${runs.map((run, i) => (
      `#${i + 1} ${JSON.stringify(reports[i])} in ${run.ms} ms`)).join('; ')}\n`);

    // The processes really overlapped (otherwise this would test nothing about contention): the
    // work took several seconds per process, so at least two of them deleted grants.
    expect(reports.filter((report) => report.persistedGrants > 0).length).toBeGreaterThanOrEqual(2);
    const sum = (field: keyof (typeof reports)[number]): number => reports.reduce((total, report) => total + report[field], 0);
    expect({ persistedGrants: sum('persistedGrants'), deviceCodes: sum('deviceCodes'), serverSideSessions: sum('serverSideSessions') })
      .toEqual({ persistedGrants: EXPIRED_GRANTS, deviceCodes: EXPIRED_DEVICE_CODES, serverSideSessions: EXPIRED_SESSIONS });

    expect(await count("SELECT count(*) AS n FROM persisted_grants WHERE key LIKE 'expired-%'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM device_codes WHERE device_code_hash LIKE 'expired-%'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM server_side_sessions WHERE key LIKE 'expired-%'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM persisted_grants WHERE key LIKE 'live-%'")).toBe(LIVE_ROWS);
    expect(await count("SELECT count(*) AS n FROM persisted_grants WHERE key LIKE 'forever-%'")).toBe(NEVER_EXPIRING_GRANTS);
    expect(await count("SELECT count(*) AS n FROM device_codes WHERE device_code_hash LIKE 'live-%'")).toBe(LIVE_ROWS);
    expect(await count("SELECT count(*) AS n FROM server_side_sessions WHERE key LIKE 'live-%'")).toBe(LIVE_ROWS);
  }, 120_000);
});
