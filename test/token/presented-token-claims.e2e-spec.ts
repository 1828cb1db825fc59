import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { SigningService } from '../../src/key-management/signing.service';
import { TokenExchangeGrantHandler } from '../../src/token-exchange/token-exchange.grant-handler';
import { startTestAppWithFixtures, writeJson, type TestApp, type TestAppFixtures } from '../support/test-app';
import { basicAuth, postForm } from './token-fixtures';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const LIFETIME = 3600;

function createFixtures(): TestAppFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-claims-'));
  const secret = [{ type: 'SharedSecret', value: 'secret' }];
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      { clientId: 'web', clientSecrets: secret, allowedGrantTypes: ['client_credentials'], allowedScopes: ['openid', 'api1'], accessTokenLifetime: LIFETIME },
      { clientId: 'retired', enabled: false, clientSecrets: secret, allowedGrantTypes: ['client_credentials'], allowedScopes: ['openid', 'api1'] },
      { clientId: 'api-gateway', clientSecrets: secret, allowedGrantTypes: [TOKEN_EXCHANGE], allowedScopes: ['openid', 'api1'] },
    ],
    identityResources: [{ name: 'openid', userClaims: ['sub'] }],
    apiScopes: [{ name: 'api1' }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
    users: [{ subjectId: '1', username: 'alice', password: 'alice', claims: {} }],
  });
  return { configFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * docs/endpoints.md: access tokens presented to userinfo, introspection and token exchange, each
 * signed with the server's own key so that only one claim rule differs from a valid token. A
 * malformed claim set is refused at all three (userinfo 401 invalid_token, introspection
 * `active: false`, token exchange 400 invalid_request per RFC 8693 §2.2.2), never a 500.
 */
describe('access tokens presented to this server: one claim rule at a time', () => {
  let server: TestApp;
  let signing: SigningService;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createFixtures(), {}, { grantHandlers: [TokenExchangeGrantHandler] });
    signing = server.app.get(SigningService, { strict: false });
  });
  afterAll(() => server?.close());

  function validClaims(): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: server.baseUrl, aud: 'urn:api1', client_id: 'web', scope: 'openid api1', sub: '1',
      exp: now + 300, iat: now, nbf: now, jti: randomUUID(),
    };
  }

  async function tokenWith(change: (claims: Record<string, unknown>) => void): Promise<string> {
    const claims = validClaims();
    change(claims);
    return (await signing.sign(claims as JWTPayload, { typ: 'at+jwt' })).jwt;
  }

  async function presentEverywhere(token: string): Promise<{ userinfo: [number, unknown]; introspection: [number, unknown]; exchange: [number, unknown] }> {
    const [userinfo, introspection, exchange] = await Promise.all([
      fetch(`${server.baseUrl}/connect/userinfo`, { headers: { authorization: `Bearer ${token}` } }),
      postForm(`${server.baseUrl}/connect/introspect`, { token }, { authorization: basicAuth('urn:api1', 'api1-secret') }),
      postForm(`${server.baseUrl}/connect/token`, {
        grant_type: TOKEN_EXCHANGE, subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE, scope: 'api1',
      }, { authorization: basicAuth('api-gateway', 'secret') }),
    ]);
    const userinfoBody: unknown = userinfo.status === 200 ? await userinfo.json() : (userinfo.headers.get('www-authenticate') ?? '');
    return {
      userinfo: [userinfo.status, userinfoBody],
      introspection: [introspection.status, introspection.body],
      exchange: [exchange.status, exchange.body.error ?? 'issued'],
    };
  }

  it('a well-formed token, should be accepted at all three (the baseline every row differs from by one claim)', async () => {
    const answers = await presentEverywhere(await tokenWith(() => undefined));
    expect(answers.userinfo).toEqual([200, { sub: '1' }]);
    expect(answers.introspection).toEqual([200, expect.objectContaining({ active: true, sub: '1', client_id: 'web', scope: 'api1' })]);
    expect(answers.exchange).toEqual([200, 'issued']);
  });

  const now = (): number => Math.floor(Date.now() / 1000);
  it.each<[string, (claims: Record<string, unknown>) => void]>([
    ['no exp', (c) => { delete c.exp; }],
    ['exp 100 years ahead', (c) => { c.exp = now() + 100 * 365 * 86_400; }],
    ['exp beyond the client\'s lifetime plus skew', (c) => { c.exp = now() + LIFETIME + 60; }],
    ['exp as a string', (c) => { c.exp = String(now() + 300); }],
    ['no jti', (c) => { delete c.jti; }],
    ['an empty jti', (c) => { c.jti = ''; }],
    ['no iat', (c) => { delete c.iat; }],
    ['iat an hour in the future', (c) => { c.iat = now() + 3600; }],
    ['scope as an array', (c) => { c.scope = ['openid', 'api1']; }],
    ['no scope', (c) => { delete c.scope; }],
    ['no iss', (c) => { delete c.iss; }],
    ['another iss', (c) => { c.iss = 'https://elsewhere.example'; }],
    ['no client_id', (c) => { delete c.client_id; }],
    ['an unknown client', (c) => { c.client_id = 'nobody'; }],
    ['a disabled client', (c) => { c.client_id = 'retired'; }],
    ['an unknown subject (user no longer exists)', (c) => { c.sub = 'deleted-user'; }],
    ['sub as a number', (c) => { c.sub = 1; }],
    ['aud as an object', (c) => { c.aud = { name: 'urn:api1' }; }],
  ])('a token with %s, should be refused at userinfo, introspection and token exchange', async (_, change) => {
    const answers = await presentEverywhere(await tokenWith(change));
    expect(answers.userinfo).toEqual([401, expect.stringContaining('error="invalid_token"')]);
    expect(answers.introspection).toEqual([200, { active: false }]);
    expect(answers.exchange).toEqual([400, 'invalid_request']);
  });

  it('a token without the openid scope, should be refused at userinfo with insufficient_scope', async () => {
    const response = await fetch(`${server.baseUrl}/connect/userinfo`, {
      headers: { authorization: `Bearer ${await tokenWith((c) => { c.scope = 'api1'; })}` },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });
});
