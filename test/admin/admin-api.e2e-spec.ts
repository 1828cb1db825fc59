import { Logger } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsRegistry } from '../../src/metrics/metrics.registry';
import { waitFor } from '../support/free-port';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, startTestAppWithFixtures, writeJson, type TestApp, type TestAppFixtures } from '../support/test-app';

const ADMIN_SECRET = 'admin-secret';

/** config/identity.json plus an `identity.admin` API scope (of the API resource `urn:identity`) granted to client `admin`. */
function adminFixtures(): TestAppFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-admin-'));
  const file = JSON.parse(readFileSync('config/identity.json', 'utf8')) as Record<string, unknown[]>;
  file.apiScopes.push({ name: 'identity.admin', displayName: 'Administer the identity server' });
  file.apiResources.push({ name: 'urn:identity', scopes: ['identity.admin'] });
  file.clients.push({
    clientId: 'admin',
    clientSecrets: [{ type: 'SharedSecret', value: ADMIN_SECRET }],
    allowedGrantTypes: ['client_credentials'],
    allowedScopes: ['identity.admin'],
  });
  return { configFile: writeJson(dir, 'identity.json', file), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every response of this file (status line, headers and body), for the "no secret in any response" check. */
const responses: string[] = [];

async function record(response: Response): Promise<string> {
  const text = await response.text();
  responses.push(`${response.status} ${JSON.stringify([...response.headers])}\n${text}`);
  return text;
}

async function clientCredentials(app: TestApp, clientId: string, secret: string, scope: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.baseUrl}/connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  return { status: response.status, body: JSON.parse(await record(response)) as Record<string, unknown> };
}

async function adminToken(app: TestApp): Promise<string> {
  const response = await clientCredentials(app, 'admin', ADMIN_SECRET, 'identity.admin');
  expect(response.status).toBe(200);
  return response.body.access_token as string;
}

interface Answer { status: number; headers: Headers; text: string; body: Record<string, unknown> & Record<string, unknown>[] }

async function call(app: TestApp, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await record(response);
  return { status: response.status, headers: response.headers, text, body: (text ? JSON.parse(text) : undefined) as Answer['body'] };
}

const NEW_CLIENT = {
  clientId: 'reporting',
  clientName: 'Reporting job',
  clientSecrets: [{ type: 'SharedSecret', value: 'reporting-secret-1', expiration: '2099-01-01T00:00:00Z' }],
  allowedGrantTypes: ['client_credentials'],
  allowedScopes: ['api1'],
};

async function reloads(app: TestApp): Promise<number> {
  const metric = app.app.get(MetricsRegistry).registry.getSingleMetric('configuration_reloads_total');
  return (await metric!.get()).values.reduce((sum, value) => sum + value.value, 0);
}

describe('admin API (ADMIN_API_ENABLED=true, CONFIGURATION_STORE=database on SQLite)', () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startTestAppWithFixtures(adminFixtures(), { ADMIN_API_ENABLED: 'true', CONFIGURATION_STORE: 'database' });
    token = await adminToken(app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('without a token, with an invalid one or a forged one, should answer 401 invalid_token with a challenge', async () => {
    const none = await call(app, 'GET', '/admin/clients', undefined);
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_token');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);

    const garbage = await call(app, 'GET', '/admin/clients', 'not-a-token');
    expect(garbage.status).toBe(401);
    expect(garbage.body.error).toBe('invalid_token');

    // our token with its signature altered: not signed by this server's keys
    const [header, payload] = token.split('.');
    const forged = await call(app, 'GET', '/admin/clients', `${header}.${payload}.${Buffer.from('x'.repeat(256)).toString('base64url')}`);
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe('invalid_token');
  });

  it('a valid token of this server without identity.admin, should answer 403 insufficient_scope', async () => {
    const m2m = await clientCredentials(app, 'm2m', 'secret', 'api1');
    const answer = await call(app, 'GET', '/admin/clients', m2m.body.access_token as string);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('insufficient_scope');
  });

  it('clients: create (201), its secret works at the token endpoint at once and is never returned, 409 on duplicate, replace, delete', async () => {
    const logged = jest.spyOn(Logger.prototype, 'log');
    const before = await reloads(app);
    const created = await call(app, 'POST', '/admin/clients', token, NEW_CLIENT);
    expect(created.status).toBe(201);
    expect(created.body.clientId).toBe('reporting');
    expect(created.headers.get('etag')).toMatch(/^".+"$/);
    expect(await reloads(app)).toBeGreaterThan(before);

    const issued = await clientCredentials(app, 'reporting', 'reporting-secret-1', 'api1');
    expect(issued.status).toBe(200);

    const one = await call(app, 'GET', '/admin/clients/reporting', token);
    expect(one.status).toBe(200);
    expect(one.body.clientSecrets).toEqual([{ type: 'SharedSecret', expiration: '2099-01-01T00:00:00.000Z' }]);
    const list = await call(app, 'GET', '/admin/clients', token);
    expect(list.body.map((c: Record<string, unknown>) => c.clientId)).toEqual(expect.arrayContaining(['m2m', 'admin', 'reporting']));
    for (const text of [created.text, one.text, list.text]) {
      expect(text).not.toContain('reporting-secret-1');
      expect(text).not.toContain('sha256');
      expect(text).not.toContain('"value"');
    }

    // one audit line naming the admin client, the action, the kind and the id; never the secret
    const audit = logged.mock.calls.filter(([entry]) => (entry as Record<string, unknown> | undefined)?.audit === 'admin_api');
    expect(audit).toHaveLength(1);
    expect(audit[0]![0]).toEqual({ audit: 'admin_api', adminClientId: 'admin', action: 'create', kind: 'clients', id: 'reporting' });
    expect(JSON.stringify(logged.mock.calls)).not.toContain('reporting-secret-1');
    logged.mockRestore();

    const duplicate = await call(app, 'POST', '/admin/clients', token, NEW_CLIENT);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toBe('already_exists');

    const replaced = await call(app, 'PUT', '/admin/clients/reporting', token, {
      ...NEW_CLIENT, clientSecrets: [{ value: 'reporting-secret-2' }], allowedScopes: ['api1', 'api2'],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.allowedScopes).toEqual(['api1', 'api2']);
    expect((await clientCredentials(app, 'reporting', 'reporting-secret-2', 'api2')).status).toBe(200);
    expect((await clientCredentials(app, 'reporting', 'reporting-secret-1', 'api1')).status).toBe(401);

    // Left out, the write-only secrets stay: other fields change without knowing the secret.
    const { clientSecrets: _secrets, ...withoutSecrets } = NEW_CLIENT;
    const renamed = await call(app, 'PUT', '/admin/clients/reporting', token, { ...withoutSecrets, clientName: 'Renamed', allowedScopes: ['api1', 'api2'] });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ clientName: 'Renamed', clientSecrets: [{ type: 'SharedSecret' }] });
    expect(renamed.headers.get('etag')).toBe((await call(app, 'GET', '/admin/clients/reporting', token)).headers.get('etag'));
    expect((await clientCredentials(app, 'reporting', 'reporting-secret-2', 'api2')).status).toBe(200);
    // Sent empty, they are gone: a confidential client then needs one.
    const emptied = await call(app, 'PUT', '/admin/clients/reporting', token, { ...withoutSecrets, clientSecrets: [] });
    expect(emptied.status).toBe(400);
    expect(emptied.body.problems).toEqual([expect.stringMatching(/^clientSecrets: a confidential client/)]);
    const resource = await call(app, 'PUT', '/admin/api-resources/urn%3Aapi1', token, { scopes: ['api1'], displayName: 'API one' });
    expect(resource.status).toBe(200);
    expect(resource.body.apiSecrets).toEqual([{ type: 'SharedSecret' }]);
    const introspection = await fetch(`${app.baseUrl}/connect/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('urn%3Aapi1:api1-secret').toString('base64')}` },
      body: new URLSearchParams({ token: 'unknown' }).toString(),
    });
    expect(introspection.status).toBe(200);
    expect(await introspection.json()).toEqual({ active: false });

    expect((await call(app, 'PUT', '/admin/clients/nobody', token, { ...NEW_CLIENT, clientId: 'nobody' })).status).toBe(404);

    const deleted = await call(app, 'DELETE', '/admin/clients/reporting', token);
    expect(deleted.status).toBe(204);
    expect((await call(app, 'GET', '/admin/clients/reporting', token)).status).toBe(404);
    expect((await clientCredentials(app, 'reporting', 'reporting-secret-2', 'api1')).status).toBe(401);
  });

  it('API scopes, API resources and identity resources: create, read, replace, delete; a client can use a new scope at once', async () => {
    const scope = await call(app, 'POST', '/admin/api-scopes', token, { name: 'reports', displayName: 'Reports' });
    expect(scope.status).toBe(201);
    const resource = await call(app, 'POST', '/admin/api-resources', token, {
      name: 'urn:reports', scopes: ['reports'], apiSecrets: [{ value: 'introspection-secret' }],
    });
    expect(resource.status).toBe(201);
    expect(resource.text).not.toContain('introspection-secret');
    expect((await call(app, 'GET', '/admin/api-resources/urn%3Areports', token)).body).toMatchObject({ name: 'urn:reports', scopes: ['reports'], apiSecrets: [{ type: 'SharedSecret' }] });
    expect((await call(app, 'POST', '/admin/clients', token, { ...NEW_CLIENT, clientId: 'reports-job', allowedScopes: ['reports'] })).status).toBe(201);
    expect((await clientCredentials(app, 'reports-job', 'reporting-secret-1', 'reports')).status).toBe(200);

    const identity = await call(app, 'POST', '/admin/identity-resources', token, { name: 'phone', userClaims: ['phone_number'] });
    expect(identity.status).toBe(201);
    expect((await call(app, 'POST', '/admin/identity-resources', token, { name: 'phone', userClaims: [] })).status).toBe(409);
    const replaced = await call(app, 'PUT', '/admin/identity-resources/phone', token, { userClaims: ['phone_number', 'phone_number_verified'] });
    expect(replaced.status).toBe(200);
    expect((await call(app, 'GET', '/admin/identity-resources/phone', token)).body).toEqual({ name: 'phone', userClaims: ['phone_number', 'phone_number_verified'] });
    expect((await call(app, 'PUT', '/admin/api-scopes/reports', token, { name: 'reports', displayName: 'All reports' })).body.displayName).toBe('All reports');

    // A scope still named by a client or an API resource stays (the store keeps the file's rules).
    const inUse = await call(app, 'DELETE', '/admin/api-scopes/reports', token);
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ error: 'in_use', usedBy: ['client "reports-job"', 'API resource "urn:reports"'] });
    expect((await call(app, 'GET', '/admin/api-scopes/reports', token)).status).toBe(200);
    expect((await clientCredentials(app, 'reports-job', 'reporting-secret-1', 'reports')).status).toBe(200);
    const profile = await call(app, 'DELETE', '/admin/identity-resources/profile', token);
    expect(profile.status).toBe(409);
    expect(profile.body.usedBy).toEqual(['client "web"', 'client "web.consent"', 'client "spa"', 'client "device"']);
    expect((await call(app, 'DELETE', '/admin/clients/reports-job', token)).status).toBe(204);
    expect((await call(app, 'DELETE', '/admin/api-scopes/reports', token)).body.usedBy).toEqual(['API resource "urn:reports"']);
    expect((await call(app, 'DELETE', '/admin/api-resources/urn%3Areports', token)).status).toBe(204);
    expect((await call(app, 'DELETE', '/admin/api-scopes/reports', token)).status).toBe(204);
    expect((await call(app, 'DELETE', '/admin/identity-resources/phone', token)).status).toBe(204);
    const scopes = await call(app, 'GET', '/admin/api-scopes', token);
    expect(scopes.body.map((s: Record<string, unknown>) => s.name)).not.toContain('reports');
  });

  it('an invalid body, should answer 400 invalid_request listing each problem with its JSON path', async () => {
    const answer = await call(app, 'POST', '/admin/clients', token, {
      clientId: 'broken',
      requireClientSecret: false,
      allowedGrantTypes: ['authorization_code', 'magic'],
      allowedScopes: ['openid', 'nope'],
      redirectUris: [],
      colour: 'blue',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    expect(answer.body.problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^allowedGrantTypes\[1\]: must be one of /),
      'colour: unknown field (check the spelling; see docs/configuration-file.md)',
    ]));
    const crossField = await call(app, 'POST', '/admin/clients', token, {
      clientId: 'broken', requireClientSecret: false, allowedGrantTypes: ['authorization_code'], allowedScopes: ['openid', 'nope'],
    });
    expect(crossField.status).toBe(400);
    expect(crossField.body.problems).toEqual(['redirectUris: authorization_code needs at least one redirect URI']);
    const unknownScope = await call(app, 'POST', '/admin/clients', token, {
      clientId: 'broken', requireClientSecret: false, allowedGrantTypes: ['authorization_code'], allowedScopes: ['openid', 'nope'], redirectUris: ['https://app.example/cb'],
    });
    expect(unknownScope.status).toBe(400);
    expect(unknownScope.body.problems).toEqual(['allowedScopes[1]: scope "nope" is not defined in identityResources or apiScopes']);
    expect((await call(app, 'GET', '/admin/clients/broken', token)).status).toBe(404);
  });

  it('If-Match: a stale ETag, should answer 412 precondition_failed to PUT and DELETE; the current one is honoured', async () => {
    expect((await call(app, 'POST', '/admin/clients', token, { ...NEW_CLIENT, clientId: 'etag-client' })).status).toBe(201);
    const first = await call(app, 'GET', '/admin/clients/etag-client', token);
    const etag = first.headers.get('etag')!;
    const changed = await call(app, 'PUT', '/admin/clients/etag-client', token, { ...NEW_CLIENT, clientId: 'etag-client', clientName: 'v2' }, { 'if-match': etag });
    expect(changed.status).toBe(200);
    const newEtag = changed.headers.get('etag')!;
    expect(newEtag).not.toBe(etag);
    expect((await call(app, 'GET', '/admin/clients/etag-client', token)).headers.get('etag')).toBe(newEtag);

    const stalePut = await call(app, 'PUT', '/admin/clients/etag-client', token, { ...NEW_CLIENT, clientId: 'etag-client', clientName: 'v3' }, { 'if-match': etag });
    expect(stalePut.status).toBe(412);
    expect(stalePut.body.error).toBe('precondition_failed');
    const staleDelete = await call(app, 'DELETE', '/admin/clients/etag-client', token, undefined, { 'if-match': etag });
    expect(staleDelete.status).toBe(412);
    expect((await call(app, 'GET', '/admin/clients/etag-client', token)).body.clientName).toBe('v2');
    expect((await call(app, 'DELETE', '/admin/clients/etag-client', token, undefined, { 'if-match': newEtag })).status).toBe(204);
  });

  it('a body that is not JSON, should answer 400 invalid_request, not 500', async () => {
    const response = await fetch(`${app.baseUrl}/admin/clients`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"clientId": ',
    });
    expect(response.status).toBe(400);
    expect((await response.json() as Record<string, unknown>).error).toBe('invalid_request');
    const empty = await call(app, 'POST', '/admin/api-scopes', token, []);
    expect(empty.status).toBe(400);
    expect(empty.body.problems).toEqual(['(root): expected object, got array']);
  });

  it('external providers are a kind of the admin API (test/admin/admin-external-providers.e2e-spec.ts covers it)', async () => {
    const list = await call(app, 'GET', '/admin/external-providers', token);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([]);
  });
});

describe('admin API with CONFIGURATION_STORE=file', () => {
  it('should answer 409 configuration_read_only', async () => {
    const app = await startTestAppWithFixtures(adminFixtures(), { ADMIN_API_ENABLED: 'true' });
    try {
      const token = await adminToken(app);
      const list = await call(app, 'GET', '/admin/clients', token);
      expect(list.status).toBe(409);
      expect(list.body.error).toBe('configuration_read_only');
      expect((await call(app, 'POST', '/admin/clients', token, NEW_CLIENT)).status).toBe(409);
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe('admin API disabled (ADMIN_API_ENABLED default)', () => {
  it('should not serve /admin at all: 404', async () => {
    const app = await startTestAppWithFixtures(adminFixtures(), { CONFIGURATION_STORE: 'database' });
    try {
      const token = await adminToken(app);
      expect((await call(app, 'GET', '/admin/clients', token)).status).toBe(404);
      expect((await call(app, 'POST', '/admin/clients', token, NEW_CLIENT)).status).toBe(404);
    } finally {
      await app.close();
    }
  }, 60_000);
});

describeIfPostgres('admin API on PostgreSQL', () => {
  it('a client created through the admin API, should get tokens at once and be gone once deleted', async () => {
    const database = await createTestDatabase();
    const app = await startTestAppWithFixtures(adminFixtures(), { ADMIN_API_ENABLED: 'true', CONFIGURATION_STORE: 'database', DATABASE_URL: database.url });
    try {
      const token = await adminToken(app);
      expect((await call(app, 'POST', '/admin/clients', token, NEW_CLIENT)).status).toBe(201);
      expect((await clientCredentials(app, 'reporting', 'reporting-secret-1', 'api1')).status).toBe(200);
      expect((await call(app, 'POST', '/admin/clients', token, NEW_CLIENT)).status).toBe(409);
      const replaced = await call(app, 'PUT', '/admin/clients/reporting', token, { ...NEW_CLIENT, clientName: 'v2' });
      const etag = (await call(app, 'GET', '/admin/clients/reporting', token)).headers.get('etag')!;
      expect(etag).toBe(replaced.headers.get('etag'));
      expect((await call(app, 'DELETE', '/admin/clients/reporting', token, undefined, { 'if-match': '"stale"' })).status).toBe(412);
      expect((await call(app, 'DELETE', '/admin/clients/reporting', token, undefined, { 'if-match': etag })).status).toBe(204);
      expect((await clientCredentials(app, 'reporting', 'reporting-secret-1', 'api1')).status).toBe(401);

      // the same key created five times at once: one 201, the others 409, never a 500
      const racing = await Promise.all(Array.from({ length: 5 }, () => call(app, 'POST', '/admin/api-scopes', token, { name: 'raced' })));
      expect(racing.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409]);
    } finally {
      await app.close();
      await database.drop();
    }
  }, 60_000);
});

describeIfPostgres('admin API on two instances sharing PostgreSQL without Redis', () => {
  it('a client created, rotated and deleted through A, should be effective on B within 5 s (the configuration version, no message)', async () => {
    const database = await createTestDatabase();
    const env = {
      ADMIN_API_ENABLED: 'true',
      CONFIGURATION_STORE: 'database',
      DATABASE_URL: database.url,
      // No Redis: A's configuration-changed message stays in A's process.
      REDIS_URL: '',
      // Long enough that only the configuration version can explain a change seen on B within 5 s.
      CONFIGURATION_CACHE_DURATION: '1h',
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-admin-${randomUUID()}`,
      ISSUER_URI: 'https://id.example',
    };
    const [a, b] = await Promise.all([startTestAppWithFixtures(adminFixtures(), env), startTestAppWithFixtures(adminFixtures(), env)]);
    const status = async (app: TestApp, secret: string): Promise<number | string> => {
      const answer = await clientCredentials(app, 'reporting', secret, 'api1');
      return answer.status === 200 ? 200 : `${answer.status} ${String(answer.body.error)}`;
    };
    const within5s = async (probe: () => Promise<number | string>, expected: number | string): Promise<void> => {
      let last: number | string | undefined;
      await waitFor(String(expected), async () => (last = await probe()) === expected, 5_000, 50).catch(() => undefined);
      expect(last).toEqual(expected);
    };
    try {
      const token = await adminToken(a);
      expect(await status(b, 'reporting-secret-1')).toBe('401 invalid_client');
      expect((await call(a, 'POST', '/admin/clients', token, NEW_CLIENT)).status).toBe(201);
      await within5s(() => status(b, 'reporting-secret-1'), 200);

      const rotated = { ...NEW_CLIENT, clientSecrets: [{ type: 'SharedSecret', value: 'reporting-secret-2' }] };
      expect((await call(a, 'PUT', '/admin/clients/reporting', token, rotated)).status).toBe(200);
      await within5s(() => status(b, 'reporting-secret-1'), '401 invalid_client');
      expect(await status(b, 'reporting-secret-2')).toBe(200);

      expect((await call(a, 'DELETE', '/admin/clients/reporting', token)).status).toBe(204);
      await within5s(() => status(b, 'reporting-secret-2'), '401 invalid_client');
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  }, 60_000);
});

const describeIfPostgresAndRedis = process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL ? describe : describe.skip;

/** Each text that contains one of `secrets`, with which (its first characters) — empty when none does. */
function leaks(texts: readonly string[], secrets: readonly string[]): string[] {
  return texts.flatMap((text) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${secret.slice(0, 6)}… in ${text.slice(0, 300)}`));
}

describeIfPostgresAndRedis('admin API on two instances sharing PostgreSQL and Redis: a client\'s whole life, seen on both within 5 s', () => {
  const CLIENT_ID = 'lifecycle';
  const OLD_URI = 'https://old.example/cb';
  const NEW_URI = 'https://new.example/cb';
  // Generated for this run: found anywhere, they can only have come from it.
  const firstSecret = randomBytes(24).toString('base64url');
  const secondSecret = randomBytes(24).toString('base64url');
  const logLines: string[] = [];
  const capture = { write: (line: string) => { logLines.push(line); } };
  const issuedTokens: string[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let token: string;

  const client = (secret: string, changes: Record<string, unknown> = {}) => ({
    clientId: CLIENT_ID,
    clientSecrets: [{ type: 'SharedSecret', value: secret }],
    allowedGrantTypes: ['client_credentials', 'authorization_code'],
    allowedScopes: ['openid', 'api1'],
    redirectUris: [OLD_URI],
    ...changes,
  });
  const tokenStatus = async (app: TestApp, secret: string): Promise<number | string> => {
    const answer = await clientCredentials(app, CLIENT_ID, secret, 'api1');
    if (typeof answer.body.access_token === 'string') issuedTokens.push(answer.body.access_token);
    return answer.status === 200 ? 200 : `${answer.status} ${String(answer.body.error)}`;
  };
  /** The authorization request on `app` with `redirectUri`: accepted (302 to the login page) or refused (the error page, no redirect). */
  const authorize = async (app: TestApp, redirectUri: string): Promise<'accepted' | 'refused' | string> => {
    const verifier = randomBytes(32).toString('base64url');
    const response = await fetch(`${app.baseUrl}/connect/authorize?${new URLSearchParams({
      client_id: CLIENT_ID, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', state: 's', nonce: 'n',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    })}`, { redirect: 'manual' });
    await record(response);
    const location = response.headers.get('location');
    if (response.status === 302 && location?.includes('/account/login')) return 'accepted';
    if (response.status === 400 && location === null) return 'refused';
    return `${response.status} ${location ?? ''}`;
  };
  /** Polls until `probe` answers `expected` (at most 5 s), then asserts it. */
  const within5s = async <T>(probe: () => Promise<T>, expected: T): Promise<void> => {
    let last: T | undefined;
    await waitFor(`${String(expected)}`, async () => (last = await probe()) === expected, 5_000, 50).catch(() => undefined);
    expect(last).toEqual(expected);
  };

  beforeAll(async () => {
    responses.length = 0;
    database = await createTestDatabase();
    const env = {
      ADMIN_API_ENABLED: 'true',
      CONFIGURATION_STORE: 'database',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-admin-${randomUUID()}`,
      // one issuer behind a load balancer: A's admin token is good on B
      ISSUER_URI: 'https://id.example',
      // every line the server can write, request lines included
      LOG_LEVEL: 'debug',
    };
    [a, b] = await Promise.all([startTestAppWithFixtures(adminFixtures(), env, {}, capture), startTestAppWithFixtures(adminFixtures(), env, {}, capture)]);
    token = await adminToken(a);
    issuedTokens.push(token);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('create on A (201): a token at once on A, and on B within 5 s', async () => {
    expect(await tokenStatus(b, firstSecret)).toBe('401 invalid_client');
    expect((await call(a, 'POST', '/admin/clients', token, client(firstSecret))).status).toBe(201);
    expect(await tokenStatus(a, firstSecret)).toBe(200);
    await within5s(() => tokenStatus(b, firstSecret), 200);
    expect(await authorize(b, OLD_URI)).toBe('accepted');
  });

  it('rotate its secret on A: the old one refused and the new one working at once on A, within 5 s on B', async () => {
    expect((await call(a, 'PUT', `/admin/clients/${CLIENT_ID}`, token, client(secondSecret))).status).toBe(200);
    expect(await tokenStatus(a, firstSecret)).toBe('401 invalid_client');
    expect(await tokenStatus(a, secondSecret)).toBe(200);
    await within5s(() => tokenStatus(b, firstSecret), '401 invalid_client');
    expect(await tokenStatus(b, secondSecret)).toBe(200);
  });

  it('change its redirect URIs on A: on B within 5 s, the old URI is refused and the new one accepted', async () => {
    expect((await call(a, 'PUT', `/admin/clients/${CLIENT_ID}`, token, client(secondSecret, { redirectUris: [NEW_URI] }))).status).toBe(200);
    await within5s(() => authorize(b, OLD_URI), 'refused');
    expect(await authorize(b, NEW_URI)).toBe('accepted');
    expect(await authorize(a, OLD_URI)).toBe('refused');
  });

  it('disable it on A: invalid_client on B within 5 s; enabled again, it works again', async () => {
    expect((await call(a, 'PUT', `/admin/clients/${CLIENT_ID}`, token, client(secondSecret, { redirectUris: [NEW_URI], enabled: false }))).status).toBe(200);
    expect(await tokenStatus(a, secondSecret)).toBe('401 invalid_client');
    await within5s(() => tokenStatus(b, secondSecret), '401 invalid_client');
    expect(await authorize(b, NEW_URI)).toBe('refused');

    // (so that the refusal above was the flag's doing, and the deletion below is tested on a working client)
    expect((await call(a, 'PUT', `/admin/clients/${CLIENT_ID}`, token, client(secondSecret, { redirectUris: [NEW_URI], enabled: true }))).status).toBe(200);
    await within5s(() => tokenStatus(b, secondSecret), 200);
  });

  it('delete it on A (204): invalid_client within 5 s on A and B', async () => {
    expect((await call(a, 'DELETE', `/admin/clients/${CLIENT_ID}`, token)).status).toBe(204);
    await within5s(() => tokenStatus(a, secondSecret), '401 invalid_client');
    await within5s(() => tokenStatus(b, secondSecret), '401 invalid_client');
    expect((await call(b, 'GET', `/admin/clients/${CLIENT_ID}`, token)).status).toBe(404);
  });

  it('no secret of the run in any response or log line of either instance; no token in any log line', () => {
    const secrets = [firstSecret, secondSecret, ADMIN_SECRET].flatMap((secret) => [
      secret,
      createHash('sha256').update(secret).digest('base64'), // the stored form
    ]);
    const basicCredentials = [[CLIENT_ID, firstSecret], [CLIENT_ID, secondSecret], ['admin', ADMIN_SECRET]]
      .map(([id, secret]) => Buffer.from(`${id}:${secret}`).toString('base64'));
    expect(responses.length).toBeGreaterThan(20);
    expect(leaks(responses, [...secrets, ...basicCredentials])).toEqual([]);

    // The capture holds both instances' lines: every change's audit line, every request at LOG_LEVEL=debug.
    const parsed = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.filter((line) => line.audit === 'admin_api').map((line) => line.action)).toEqual(['create', 'replace', 'replace', 'replace', 'replace', 'delete']);
    expect(parsed.filter((line) => line.msg === 'request completed').length).toBeGreaterThanOrEqual(responses.length);
    expect(issuedTokens.length).toBeGreaterThan(5);
    expect(leaks(logLines, [...secrets, ...basicCredentials, ...issuedTokens])).toEqual([]);

    // and the check would see one: a line carrying a secret is caught
    const canary = randomBytes(24).toString('base64url');
    new Logger('LeakCheck').warn(`client secret ${canary}`);
    expect(leaks(logLines, [canary])).toHaveLength(1);
  });
});
