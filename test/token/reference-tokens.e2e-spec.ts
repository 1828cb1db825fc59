import { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { createTestDatabase } from '../support/postgres';
import { startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, createTokenFixtures, postForm, type TokenFixtures } from './token-fixtures';

interface Database {
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

const databases: Array<[string, () => Promise<Database>]> = [['SQLite', async () => ({ env: {}, drop: async () => undefined })]];
if (process.env.TEST_DATABASE_URL) {
  databases.push(['PostgreSQL', async () => {
    const database = await createTestDatabase();
    return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
  }]);
}

/** Reference tokens, introspection (RFC 7662) and revocation (RFC 7009) end to end, on each database. */
describe.each(databases)('reference tokens, introspection and revocation (%s)', (_name, openDatabase) => {
  let fixtures: TokenFixtures;
  let database: Database;
  let server: TestApp;
  // Expiry is decided on the server's Clock; it starts at real time, as the iat/exp checks below expect.
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    fixtures = await createTokenFixtures();
    database = await openDatabase();
    server = await startTestApp({ CONFIG_FILE: fixtures.configFile, ...database.env }, { providers: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    fixtures?.remove();
  });

  async function issue(clientId: string, scope = 'api1'): Promise<string> {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope }, { authorization: basicAuth(clientId, 'secret') });
    expect(response.status).toBe(200);
    return String(response.body.access_token);
  }
  const introspect = (token: string, api = 'urn:api1', secret = 'api1-secret', extra: Record<string, string> = {}) =>
    postForm(`${server.baseUrl}/connect/introspect`, { token, ...extra }, { authorization: basicAuth(api, secret) });
  const revoke = (token: string, clientId: string, extra: Record<string, string> = {}) =>
    postForm(`${server.baseUrl}/connect/revocation`, { token, ...extra }, { authorization: basicAuth(clientId, 'secret') });

  it('a reference token is an opaque handle of at least 256 bits', async () => {
    const token = await issue('m2m.reference');
    expect(token).not.toContain('.');
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('introspection by its API: active with the token claims', async () => {
    const token = await issue('m2m.reference', 'api1 api2');
    const response = await introspect(token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({ active: true, iss: server.baseUrl, client_id: 'm2m.reference', scope: 'api1' });
    expect(response.body.aud).toEqual(['urn:api1', 'urn:api2']);
    const now = Math.floor(Date.now() / 1000);
    expect(Number(response.body.exp)).toBeGreaterThan(now + 3500);
    expect(Number(response.body.iat)).toBeLessThanOrEqual(now);
    expect(response.body.jti).toEqual(expect.any(String));
  });

  it('introspection with the API secret posted in the form works too', async () => {
    const token = await issue('m2m.reference');
    const response = await postForm(`${server.baseUrl}/connect/introspect`, { token, client_id: 'urn:api1', client_secret: 'api1-secret' });
    expect(response.body.active).toBe(true);
  });

  it('introspection by another API resource: inactive, nothing else', async () => {
    const token = await issue('m2m.reference', 'api1');
    const response = await introspect(token, 'urn:api2', 'api2-secret');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ active: false });
  });

  it('an unknown token is inactive', async () => {
    expect((await introspect('made-up-token')).body).toEqual({ active: false });
    expect((await introspect('a.b.c')).body).toEqual({ active: false });
  });

  it('an expired reference token is inactive', async () => {
    const token = await issue('m2m.reference.short');
    expect((await introspect(token)).body.active).toBe(true);
    clock.advance(2_100);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('JWT access tokens introspect too: active for their API, inactive for another', async () => {
    const token = await issue('m2m', 'api1');
    expect((await introspect(token)).body).toMatchObject({ active: true, client_id: 'm2m', scope: 'api1', aud: 'urn:api1' });
    expect((await introspect(token, 'urn:api2', 'api2-secret')).body).toEqual({ active: false });
    const tampered = `${token.slice(0, -4)}AAAA`;
    expect((await introspect(tampered)).body).toEqual({ active: false });
  });

  it('introspection by a caller that fails authentication: 401 invalid_client JSON', async () => {
    const token = await issue('m2m.reference');
    for (const response of [
      await introspect(token, 'urn:api1', 'wrong'),
      await introspect(token, 'urn:nope', 'api1-secret'),
      await introspect(token, 'm2m', 'secret'),
      await postForm(`${server.baseUrl}/connect/introspect`, { token }),
    ]) {
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
    }
  });

  it.each([
    ['/connect/introspect', basicAuth('urn:api1', 'api1-secret'), basicAuth('urn:api1', 'wrong')],
    ['/connect/revocation', basicAuth('m2m.reference', 'secret'), basicAuth('m2m.reference', 'wrong')],
  ])('%s refusals: wrong content type, repeated parameter, oversize body, failed Basic — all 4xx JSON', async (path, good, bad) => {
    const url = `${server.baseUrl}${path}`;
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: good }, body: '{"token":"x"}' });
    const responses = [
      { status: json.status, headers: json.headers, body: (await json.json()) as Record<string, unknown> },
      await postForm(url, 'token=a&token=b', { authorization: good }),
      await postForm(url, `token=${'a'.repeat(70 * 1024)}`, { authorization: good }),
      await postForm(url, 'token=a', { authorization: bad }),
      await postForm(url, 'token=a', { authorization: 'Basic %%%' }),
    ];
    expect(responses.map((r) => [r.status, r.body.error])).toEqual([
      [415, 'invalid_request'], [400, 'invalid_request'], [413, 'invalid_request'], [401, 'invalid_client'], [401, 'invalid_client'],
    ]);
    for (const response of responses) expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // RFC 6749 §5.2: a client that tried Basic gets the challenge back.
    expect(responses.slice(3).map((r) => r.headers.get('www-authenticate'))).toEqual([expect.stringMatching(/^Basic /), expect.stringMatching(/^Basic /)]);
  });

  it('introspection without token: invalid_request', async () => {
    const response = await postForm(`${server.baseUrl}/connect/introspect`, {}, { authorization: basicAuth('urn:api1', 'api1-secret') });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
  });

  it('revocation by the owning client makes the token inactive', async () => {
    const token = await issue('m2m.reference');
    const response = await revoke(token, 'm2m.reference', { token_type_hint: 'access_token' });
    expect(response.status).toBe(200);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('revocation with the refresh_token hint still finds the access token (a hint only)', async () => {
    const token = await issue('m2m.reference');
    expect((await revoke(token, 'm2m.reference', { token_type_hint: 'refresh_token' })).status).toBe(200);
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('revocation by another client is refused with invalid_request and leaves the token active (RFC 7009 §2.1)', async () => {
    const token = await issue('m2m.reference');
    const refused = await revoke(token, 'm2m.reference.other');
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_request']);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await introspect(token)).body.active).toBe(true);
  });

  it('revocation by another, public client answers like an unknown token and leaves the token active', async () => {
    const token = await issue('m2m.reference');
    const response = await postForm(`${server.baseUrl}/connect/revocation`, { token, client_id: 'spa' });
    expect([response.status, response.text]).toEqual([200, '']);
    expect((await introspect(token)).body.active).toBe(true);
  });

  it('revocation of unknown tokens answers 200', async () => {
    expect((await revoke('never-issued', 'm2m.reference')).status).toBe(200);
  });

  it('revocation refusals: bad client 401, missing token 400, unsupported hint', async () => {
    const wrong = await postForm(`${server.baseUrl}/connect/revocation`, { token: 'x' }, { authorization: basicAuth('m2m.reference', 'nope') });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    const missing = await revoke('', 'm2m.reference');
    expect([missing.status, missing.body.error]).toEqual([400, 'invalid_request']);
    const hint = await revoke('x', 'm2m.reference', { token_type_hint: 'id_token' });
    expect([hint.status, hint.body.error]).toEqual([400, 'unsupported_token_type']);
  });

  it('the persisted-grant table holds neither the handle nor readable claims', async () => {
    const token = await issue('m2m.reference', 'api2');
    const rows: Array<Record<string, unknown>> = await server.app.get(DataSource).query(
      "SELECT * FROM persisted_grants WHERE type = 'reference_token'",
    );
    expect(rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(token);
    for (const row of rows) {
      expect(String(row.key)).not.toBe(token);
      expect(String(row.data)).not.toMatch(/api2|urn:api|client_id|m2m\.reference|"scope"/);
      expect(() => JSON.parse(Buffer.from(String(row.data), 'base64url').toString('utf8'))).toThrow();
    }
  });
});
