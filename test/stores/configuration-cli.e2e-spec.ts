import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase } from '../support/postgres';
import { startTestApp, type TestApp } from '../support/test-app';
import { runCli, type CliRun } from '../support/cli-process';

const ROOT = resolve(__dirname, '../..');
const DEMO_CONFIG = join(ROOT, 'config/identity.json');

/** The admin CLI as an operator runs it, in its own process. */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runCli(args, { ...process.env, LOG_LEVEL: 'error', ...env });
}

async function ok(args: string[], env: Record<string, string>): Promise<string> {
  const run = await cli(args, env);
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return run.stdout;
}

/** client_credentials for `clientId` with `secret` (Basic authentication): the status. */
async function token(app: TestApp, clientId: string, secret: string): Promise<number> {
  return (await tokenAnswer(app, clientId, secret)).status;
}

/** client_credentials for `clientId` with `secret`: the status and the `error` of the answer. */
async function tokenAnswer(app: TestApp, clientId: string, secret: string): Promise<{ status: number; error?: unknown }> {
  const response = await fetch(`${app.baseUrl}/connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api1' }).toString(),
  });
  return { status: response.status, error: (await response.json() as { error?: unknown }).error };
}

/** Polls the token endpoint until it answers `status` (bounded: 5 s, the documented propagation time). */
async function tokenStatusWithin5s(app: TestApp, clientId: string, secret: string, status: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let last = await token(app, clientId, secret);
  while (last !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await token(app, clientId, secret);
  }
  return last;
}

describe('config and clients CLI commands on SQLite (docs/cli.md)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-cli-'));
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'a.sqlite')}`,
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      DATA_PROTECTION_KEY_PATH: join(dir, 'dp'),
      CONFIG_FILE: DEMO_CONFIG,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with the file store, list/show/export should read CONFIG_FILE without secrets, and the writing commands should refuse (exit 1, one line)', async () => {
    await ok(['migrate'], env);
    const listed = JSON.parse(await ok(['clients', 'list', '--json'], env)) as { clients: Array<Record<string, unknown>> };
    expect(listed.clients[0]).toEqual({ clientId: 'm2m', clientName: 'Machine client', enabled: true, allowedGrantTypes: ['client_credentials'] });
    for (const c of listed.clients) expect(Object.keys(c)).toEqual(['clientId', 'clientName', 'enabled', 'allowedGrantTypes']);

    const shown = await ok(['clients', 'show', 'm2m', '--json'], env);
    expect((JSON.parse(shown) as { clientSecrets: unknown }).clientSecrets).toEqual([{ index: 0, type: 'SharedSecret', expiration: null }]);
    expect(shown).not.toMatch(/sha256|"value"/);

    const exported = await ok(['config', 'export'], env);
    expect(exported).not.toMatch(/sha256|"password"|"users"/);
    expect(Object.keys(JSON.parse(exported) as object)).toEqual(['clients', 'identityResources', 'apiScopes', 'apiResources', 'externalProviders']);

    for (const args of [['clients', 'secret', 'add', 'm2m'], ['clients', 'secret', 'remove', 'm2m', '0'], ['clients', 'remove', 'm2m']]) {
      const run = await cli(args, env);
      expect({ args, code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
        args, code: 1, stdout: '', stderr: 'the configuration file is read-only: edit CONFIG_FILE (or set CONFIGURATION_STORE=database to manage clients with the CLI)\n',
      });
    }
    const refused = await cli(['config', 'import'], env);
    expect({ code: refused.code, stderr: refused.stderr.trim().split('\n') }).toEqual({ code: 1, stderr: [expect.stringContaining('set CONFIGURATION_STORE=database')] });

    const missing = await cli(['clients', 'show', 'nobody'], env);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 1, stderr: 'no client "nobody" in the configuration store\n' });
  }, 120_000);

  it('with the database store, import should validate first (nothing written), upsert with counts, and export→import into an empty database should give the same configuration', async () => {
    const db = { ...env, CONFIGURATION_STORE: 'database' };
    const config = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8')) as { clients: Array<Record<string, unknown>> };
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ ...config, clients: [{ ...config.clients[0], redirectUris: ['not a uri'] }] }));
    const rejected = await cli(['config', 'import', invalid], db);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('clients[0].redirectUris[0]: must be an absolute URI');
    expect(JSON.parse(await ok(['clients', 'list', '--json'], db))).toEqual({ clients: [] });

    const first = JSON.parse(await ok(['config', 'import', '--json'], db)) as Record<string, { created: number; updated: number }>;
    expect(first).toEqual({
      clients: { created: config.clients.length, updated: 0 },
      identityResources: { created: 3, updated: 0 },
      apiScopes: { created: 2, updated: 0 },
      apiResources: { created: 2, updated: 0 },
      externalProviders: { created: 0, updated: 0 },
    });
    expect((await ok(['config', 'import', DEMO_CONFIG], db)).trim().split('\n')[0]).toBe(`clients: 0 created, ${config.clients.length} updated`);

    const exportedA = await ok(['config', 'export'], db);
    const file = join(dir, 'exported.json');
    writeFileSync(file, exportedA);
    const emptyB = { ...db, DATABASE_URL: `sqlite:${join(dir, 'b.sqlite')}` };
    await ok(['migrate'], emptyB);
    await ok(['config', 'import', file], emptyB);
    expect(JSON.parse(await ok(['config', 'export', '--json'], emptyB))).toEqual(JSON.parse(exportedA));
    // The file store's export is the same document: the database holds what CONFIG_FILE says.
    expect(JSON.parse(await ok(['config', 'export'], env))).toEqual(JSON.parse(exportedA));
    // Secrets aside: a client imported without secrets has none in B, and keeps its own in A.
    const m2mB = JSON.parse(await ok(['clients', 'show', 'm2m', '--json'], emptyB)) as { clientSecrets: unknown[] };
    expect(m2mB.clientSecrets).toEqual([]);
    await ok(['config', 'import', file], db);
    const m2mA = JSON.parse(await ok(['clients', 'show', 'm2m', '--json'], db)) as { clientSecrets: unknown[] };
    expect(m2mA.clientSecrets).toHaveLength(1);
  }, 120_000);

  it('without Redis, a generated secret should work at the token endpoint of a running server on the same database within 5 s; a removed secret or client should stop working within 5 s', async () => {
    // No REDIS_URL anywhere, and a cache duration long enough that only the configuration version
    // the CLI raises can explain a change seen within 5 s.
    const db = { ...env, CONFIGURATION_STORE: 'database', REDIS_URL: '' };
    const server = await startTestApp({ ...db, CONFIGURATION_CACHE_DURATION: '1h' });
    try {
      expect(await token(server, 'm2m', 'secret')).toBe(200);
      const added = JSON.parse(await ok(['clients', 'secret', 'add', 'm2m', '--expires', '90d', '--json'], db)) as { index: number; value: string; expiration: string };
      expect(added.index).toBe(1);
      expect(added.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      expect(Buffer.from(added.value, 'base64url').length).toBeGreaterThanOrEqual(32);
      expect(Date.parse(added.expiration) - Date.now()).toBeGreaterThan(89 * 86_400_000);
      const shown = await ok(['clients', 'show', 'm2m'], db);
      expect(shown).not.toContain(added.value);
      expect(shown).toContain('[1] SharedSecret, expires');

      expect(await tokenStatusWithin5s(server, 'm2m', added.value, 200)).toBe(200);

      const text = await ok(['clients', 'secret', 'add', 'm2m', '--value', 'chosen-by-the-operator'], db);
      expect(text).toBe('Added secret [2] to client m2m.\n');
      expect(JSON.parse(await ok(['clients', 'secret', 'remove', 'm2m', '1', '--json'], db))).toEqual({ clientId: 'm2m', index: 1 });
      expect(await tokenStatusWithin5s(server, 'm2m', added.value, 401)).toBe(401);
      expect(await token(server, 'm2m', 'chosen-by-the-operator')).toBe(200);

      const badIndex = await cli(['clients', 'secret', 'remove', 'm2m', '7'], db);
      expect({ code: badIndex.code, stderr: badIndex.stderr.trim().split('\n').length }).toEqual({ code: 1, stderr: 1 });

      expect(JSON.parse(await ok(['clients', 'remove', 'spa', '--json'], db))).toEqual({ clientId: 'spa' });
      expect(await ok(['clients', 'remove', 'm2m'], db)).toBe('Removed client m2m.\n');
      expect(await tokenStatusWithin5s(server, 'm2m', 'secret', 401)).toBe(401);
      expect(await tokenAnswer(server, 'm2m', 'secret')).toEqual({ status: 401, error: 'invalid_client' });
      const list = JSON.parse(await ok(['clients', 'list', '--json'], db)) as { clients: Array<{ clientId: string }> };
      expect(list.clients.map((c) => c.clientId)).not.toContain('m2m');
      expect(list.clients.map((c) => c.clientId)).not.toContain('spa');

      // config import (the demo file, m2m with its secret "secret") brings the client back.
      await ok(['config', 'import', DEMO_CONFIG], db);
      expect(await tokenStatusWithin5s(server, 'm2m', 'secret', 200)).toBe(200);
    } finally {
      await server.close();
    }
  }, 120_000);
});

const describeIfPostgresAndRedis = process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL ? describe : describe.skip;

describeIfPostgresAndRedis('clients secret add/remove on PostgreSQL with REDIS_URL (docs/cli.md)', () => {
  it('a running server should accept a new secret, and refuse a removed one, within 5 s without any cache expiry', async () => {
    const database = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'config-cli-pg-'));
    const env = {
      CONFIGURATION_STORE: 'database',
      // Long enough that only the CLI's notice through Redis can explain a change within 5 s.
      CONFIGURATION_CACHE_DURATION: '1h',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-test-${randomBytes(6).toString('hex')}`,
      CONFIG_FILE: DEMO_CONFIG,
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      DATA_PROTECTION_KEY_PATH: join(dir, 'dp'),
    };
    const server = await startTestApp(env);
    try {
      expect(await token(server, 'm2m', 'secret')).toBe(200);
      const added = JSON.parse(await ok(['clients', 'secret', 'add', 'm2m', '--json'], env)) as { index: number; value: string };
      expect(await tokenStatusWithin5s(server, 'm2m', added.value, 200)).toBe(200);
      await ok(['clients', 'secret', 'remove', 'm2m', String(added.index)], env);
      expect(await tokenStatusWithin5s(server, 'm2m', added.value, 401)).toBe(401);
      expect(await token(server, 'm2m', 'secret')).toBe(200);
    } finally {
      await server.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
