import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Client } from 'pg';
import { CLI_COMMANDS } from '../../src/cli/commands';
import { NO_TABLES_MESSAGE } from '../../src/database/read-only-database.module';
import { createEmptyDatabase, createTestDatabase } from '../support/postgres';
import { describeIfPostgres } from '../support/test-app';
import { runCli, type CliRun } from '../support/cli-process';

const ROOT = resolve(__dirname, '../..');

/** The admin CLI as an operator runs it, in its own process. */
function cli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(args, { ...process.env, ...env });
}

/** Every read-only command the CLI declares: a new one is covered without touching this file. */
const READ_ONLY = CLI_COMMANDS.filter((c) => c.access === 'read-only')
  // A required argument gets a value the demo configuration has (`clients show m2m`).
  .map((c) => [...c.name.split(' '), ...(c.arguments ?? []).filter((a) => !a.optional).map(() => 'm2m')]);

/** Commands that report what they can when the database cannot be opened (`doctor`: docs/cli.md#doctor) instead of refusing. */
const REPORTS_WITHOUT_DATABASE = new Set(CLI_COMMANDS.filter((c) => c.runWithoutContext).map((c) => c.name));

/**
 * What a read-only command answers on a database without tables: the "no tables yet" message on
 * stderr and exit 1; `doctor` says the same as an error finding on stdout (exit 1).
 */
function refusal(command: readonly string[], run: CliRun, json: boolean): unknown {
  if (!REPORTS_WITHOUT_DATABASE.has(command.join(' '))) return { command, code: run.code, stderr: run.stderr.trim(), stdout: run.stdout };
  const reported = json
    ? (JSON.parse(run.stdout) as { findings: Array<{ id: string; message: string }> }).findings
      .some((f) => f.id === 'deployment-check-failed' && f.message.includes(NO_TABLES_MESSAGE))
    : run.stdout.includes(NO_TABLES_MESSAGE);
  return { command, code: run.code, stderr: reported ? NO_TABLES_MESSAGE : `not reported: ${run.stdout}`, stdout: '' };
}

/** Every file under `folder` (recursively) with the SHA-256 of its content. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        files[`${relative(folder, path)}/`] = 'folder';
        walk(path);
      } else {
        files[relative(folder, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
      }
    }
  };
  walk(folder);
  return files;
}

/**
 * Settings that would make a careless CLI write as much as it can: migrations on, key stores in
 * folders that do not exist yet (so a created key would show as a new file), demo configuration.
 */
function settings(dir: string, databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_MIGRATIONS_RUN: 'true',
    KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
    DATA_PROTECTION_KEY_PATH: join(dir, 'dp-keys'),
    CONFIG_FILE: join(ROOT, 'config/identity.json'),
    LOG_LEVEL: 'debug',
  };
}

describe('admin CLI, read-only commands (docs/cli.md)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-ro-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('on an empty SQLite file, each read-only command should exit 1 with the "no tables yet" message and change no byte or file', async () => {
    const file = join(dir, 'db.sqlite');
    writeFileSync(file, '');
    const stores: Array<Record<string, string>> = [{}, { KEY_MANAGEMENT_KEY_STORE: 'file', DATA_PROTECTION_KEY_STORE: 'file' }];
    for (const storeSettings of stores) {
      for (const command of READ_ONLY) {
        for (const extra of [[], ['--json']]) {
          const before = snapshot(dir);
          const run = await cli([...command, ...extra], { ...settings(dir, `sqlite:${file}`), ...storeSettings });
          expect(refusal(command, run, extra.length > 0)).toEqual({ command, code: 1, stderr: NO_TABLES_MESSAGE, stdout: '' });
          // Same bytes, and no -wal, -shm, key file or folder beside it.
          expect(snapshot(dir)).toEqual(before);
        }
      }
    }
  }, 420_000);

  it('on a SQLite path that does not exist, each read-only command should exit 1 with the message and create neither the file nor its folder', async () => {
    for (const command of READ_ONLY) {
      const run = await cli([...command, '--json'], settings(dir, `sqlite:${join(dir, 'data', 'identity.sqlite')}`));
      expect(refusal(command, run, true)).toEqual({ command, code: 1, stderr: NO_TABLES_MESSAGE, stdout: '' });
      expect(snapshot(dir)).toEqual({});
    }
  }, 120_000);

  it('on a migrated SQLite database without keys, each read-only command should list nothing and leave the database and the key folders untouched', async () => {
    const file = join(dir, 'db.sqlite');
    const env = settings(dir, `sqlite:${file}`);
    expect((await cli(['migrate'], env)).code).toBe(0);
    const before = snapshot(dir);
    expect(before['keys/']).toBeUndefined();
    const keys = await cli(['keys', 'list', '--json'], env);
    expect({ code: keys.code, stderr: keys.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(keys.stdout)).toEqual({ keys: [] });
    const ring = await cli(['data-protection', 'list', '--json'], env);
    expect({ code: ring.code, stderr: ring.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ring.stdout)).toEqual({ keys: [] });
    const text = await cli(['keys', 'list'], { ...env, KEY_MANAGEMENT_KEY_STORE: 'file', DATA_PROTECTION_KEY_STORE: 'file' });
    expect(text.stdout.trim()).toBe('No managed signing keys.');

    // The database file keeps every byte. A WAL database opened read-only gets SQLite's own
    // coordination files when no other process has them open; the log stays empty (nothing written).
    const after = snapshot(dir);
    const coordination = new Set(['db.sqlite-wal', 'db.sqlite-shm']);
    expect(Object.fromEntries(Object.entries(after).filter(([name]) => !coordination.has(name)))).toEqual(before);
    if (after['db.sqlite-wal'] !== undefined) expect(statSync(join(dir, 'db.sqlite-wal')).size).toBe(0);
  }, 120_000);

  it('on a populated SQLite database, keys list --json and data-protection list --json should print the documented JSON and change nothing', async () => {
    const file = join(dir, 'db.sqlite');
    const env = settings(dir, `sqlite:${file}`);
    // keys rotate writes: on an empty database it migrates, makes the key ring and a signing key, then announces one.
    expect((await cli(['keys', 'rotate'], env)).code).toBe(0);
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    const keys = await cli(['keys', 'list', '--json'], env);
    expect(keys.code).toBe(0);
    const listed = (JSON.parse(keys.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(listed.map((k) => [k.alg, k.phase])).toEqual([['RS256', 'signing'], ['RS256', 'announced']]);
    for (const key of listed) expect(Object.keys(key)).toEqual(['kid', 'alg', 'created', 'phase', 'nextPhaseAt', 'x509']);
    const ring = await cli(['data-protection', 'list', '--json'], env);
    expect(ring.code).toBe(0);
    const ringKeys = (JSON.parse(ring.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(ringKeys.map((k) => Object.keys(k))).toEqual([['id', 'created', 'activation', 'expiration', 'revoked']]);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
  }, 120_000);
});

describe('admin CLI, mistakes and help (docs/cli.md)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-help-'));
    env = settings(dir, `sqlite:${join(dir, 'db.sqlite')}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => expect(existsSync(join(dir, 'db.sqlite'))).toBe(false));

  it('a writing command on a database whose migrations have not run should fail in one line naming `migrate`, without a stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-unmigrated-'));
    try {
      const file = join(dir, 'db.sqlite');
      writeFileSync(file, '');
      const run = await cli(['keys', 'rotate'], { ...settings(dir, `sqlite:${file}`), DATABASE_MIGRATIONS_RUN: 'false', LOG_LEVEL: 'info' });
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Failed: the database has no table \w+: its migrations have not run .* — fix: run `npm run cli -- migrate`/);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown command should print `unknown command "bogus"` and the usage on stderr and exit 1', async () => {
    const run = await cli(['bogus'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('unknown command "bogus"');
    expect(run.stderr).toMatch(/^ {2}keys list\s/m);
  }, 60_000);

  it('an unknown option should name it and the command, print that command\'s usage and exit 1', async () => {
    const run = await cli(['keys', 'list', '--jsn'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('unknown option "--jsn" for "keys list"');
    expect(run.stderr).toContain('Usage: npm run -s cli -- keys list');
  }, 60_000);

  it('--help and help should list every command on stdout, marking those that write, and exit 0', async () => {
    for (const args of [['--help'], ['help']]) {
      const run = await cli(args, env);
      expect(run.code).toBe(0);
      for (const command of CLI_COMMANDS) {
        expect(run.stdout).toMatch(new RegExp(`^ {2}${command.name}\\s+.*${command.access === 'writes' ? '\\(writes\\)' : '[^)]'}$`, 'm'));
      }
    }
  }, 120_000);

  it('<command> --help should describe the command, its options and whether it writes, and exit 0', async () => {
    const list = await cli(['keys', 'list', '--help'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('Read-only: never migrates the database, creates keys or writes any file.');
    expect(list.stdout).toMatch(/^ {2}--json\s/m);
    const rotate = await cli(['keys', 'rotate', '--help'], env);
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toContain('Writes: changes the database or the key stores.');
  }, 60_000);
});

/** Every table of the public schema with its row count. */
async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    const counts: Record<string, number> = {};
    for (const { table_name: table } of rows) {
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
      counts[table] = Number(result.rows[0].n);
    }
    return counts;
  } finally {
    await client.end();
  }
}

describeIfPostgres('admin CLI, read-only commands on PostgreSQL (docs/cli.md)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-ro-pg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('on a never-migrated empty database, each read-only command should exit 1 with the message and create no table', async () => {
    const database = await createEmptyDatabase();
    try {
      for (const command of READ_ONLY) {
        const run = await cli([...command, '--json'], settings(dir, database.url));
        expect(refusal(command, run, true)).toEqual({ command, code: 1, stderr: NO_TABLES_MESSAGE, stdout: '' });
        expect(await tableCounts(database.url)).toEqual({});
        expect(snapshot(dir)).toEqual({});
      }
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('on a migrated database without keys, each read-only command should list nothing and change no row', async () => {
    const database = await createTestDatabase();
    try {
      const before = await tableCounts(database.url);
      expect(before.data_protection_keys).toBe(0);
      for (const command of READ_ONLY) {
        const run = await cli([...command, '--json'], settings(dir, database.url));
        expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
        // keys plan: one step on an empty store (the first rotation, safe now); doctor: only the
        // unencrypted key ring (a warning) on this database; the listing commands: nothing.
        const name = command.join(' ');
        // The configuration commands read CONFIG_FILE (the file store).
        const nothing = name === 'keys plan'
          ? { steps: [expect.objectContaining({ action: 'rotate', kid: null })] }
          : REPORTS_WITHOUT_DATABASE.has(name)
            ? { findings: [expect.objectContaining({ id: 'key-ring-unencrypted', severity: 'warning' })] }
            : name === 'clients list'
              ? { clients: expect.arrayContaining([expect.objectContaining({ clientId: 'm2m' })]) }
              : name === 'clients show m2m'
                ? expect.objectContaining({ clientId: 'm2m' })
                : name === 'config export'
                  ? expect.objectContaining({ clients: expect.any(Array), apiScopes: expect.any(Array) })
                  : { keys: [] };
        expect(JSON.parse(run.stdout)).toEqual(nothing);
        expect(await tableCounts(database.url)).toEqual(before);
        expect(snapshot(dir)).toEqual({});
      }
    } finally {
      await database.drop();
    }
  }, 120_000);

  it('on a populated database, keys list --json and data-protection list --json should print the keys and change no row', async () => {
    const database = await createTestDatabase();
    try {
      const env = settings(dir, database.url);
      expect((await cli(['keys', 'rotate'], env)).code).toBe(0);
      const before = await tableCounts(database.url);
      const keys = await cli(['keys', 'list', '--json'], env);
      expect(keys.code).toBe(0);
      expect((JSON.parse(keys.stdout) as { keys: Array<{ phase: string }> }).keys.map((k) => k.phase)).toEqual(['signing', 'announced']);
      const ring = await cli(['data-protection', 'list', '--json'], env);
      expect(ring.code).toBe(0);
      expect((JSON.parse(ring.stdout) as { keys: unknown[] }).keys).toHaveLength(1);
      expect(await tableCounts(database.url)).toEqual(before);
    } finally {
      await database.drop();
    }
  }, 120_000);
});
