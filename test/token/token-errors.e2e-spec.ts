import { createPublicKey } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, createTokenFixtures, postForm, type TokenFixtures } from './token-fixtures';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Every refusal of the token endpoint is an RFC 6749 §5.2 JSON error with a 4xx status. */
describe('POST /connect/token, refusals', () => {
  let fixtures: TokenFixtures;
  let server: TestApp;
  let tokenUrl: string;

  beforeAll(async () => {
    fixtures = await createTokenFixtures();
    server = await startTestApp({ CONFIG_FILE: fixtures.configFile });
    tokenUrl = `${server.baseUrl}/connect/token`;
  });
  afterAll(async () => {
    await server?.close();
    fixtures?.remove();
  });

  const m2m = { authorization: basicAuth('m2m', 'secret') };

  async function expectError(
    response: Awaited<ReturnType<typeof postForm>>,
    status: number,
    error: string,
  ): Promise<void> {
    expect({ status: response.status, error: response.body.error }).toEqual({ status, error });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.text).not.toMatch(/at .*\.(ts|js):\d+/);
  }

  function assertion(claims: Record<string, unknown>, clientId = 'm2m.jwt.ec'): SignJWT {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: clientId, sub: clientId, aud: tokenUrl, exp: now + 60, iat: now, jti: `jti-${Math.random()}`, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: fixtures.ecClientKey.kid });
  }
  const withAssertion = (jwt: string, extra: Record<string, string> = {}): Record<string, string> =>
    ({ grant_type: 'client_credentials', scope: 'api1', client_assertion_type: ASSERTION_TYPE, client_assertion: jwt, ...extra });

  describe('request format', () => {
    it('when grant_type is missing, should be invalid_request', async () => {
      await expectError(await postForm(tokenUrl, { scope: 'api1' }, m2m), 400, 'invalid_request');
    });

    it('when the body is JSON, should be 415 invalid_request', async () => {
      const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...m2m }, body: '{"grant_type":"client_credentials"}' });
      await expectError({ status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown>, text: "" }, 415, 'invalid_request');
    });

    it('when the body is text/plain, should be 415 invalid_request', async () => {
      const response = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'text/plain', ...m2m }, body: 'grant_type=client_credentials' });
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });

    it('when a parameter is repeated, should be invalid_request', async () => {
      await expectError(await postForm(tokenUrl, 'grant_type=client_credentials&scope=api1&scope=api2', m2m), 400, 'invalid_request');
    });

    it('when the body is larger than the limit, should be 413 invalid_request', async () => {
      await expectError(await postForm(tokenUrl, `grant_type=client_credentials&scope=${'a'.repeat(70 * 1024)}`, m2m), 413, 'invalid_request');
    });

    it('when the method is GET, should be a JSON 4xx', async () => {
      const response = await fetch(`${tokenUrl}?grant_type=client_credentials`, { headers: m2m });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await response.json()).toHaveProperty('error');
    });
  });

  describe('grant and scope', () => {
    it('when grant_type is unknown, should be unsupported_grant_type', async () => {
      await expectError(await postForm(tokenUrl, { grant_type: 'password', username: 'a', password: 'b' }, m2m), 400, 'unsupported_grant_type');
    });

    it('when the client may not use the grant, should be unauthorized_client', async () => {
      await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basicAuth('web', 'secret') }), 400, 'unauthorized_client');
    });

    it.each([
      ['not allowed for the client', 'api3'],
      ['an identity scope', 'openid api1'],
      ['offline_access', 'api1 offline_access'],
    ])('when the scope is %s, should be invalid_scope', async (_name, scope) => {
      await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials', scope }, m2m), 400, 'invalid_scope');
    });

    it.each([['an unknown API', 'urn:unknown'], ['an API outside the scopes', 'urn:api2'], ['not an absolute URI', 'api1']])(
      'when resource is %s, should be invalid_target',
      async (_name, resource) => {
        await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'api1', resource }, m2m), 400, 'invalid_target');
      },
    );

    it('when the APIs require algorithms with nothing in common, should be invalid_request saying so', async () => {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'api.es api.rs' }, { authorization: basicAuth('m2m.conflict', 'secret') });
      await expectError(response, 400, 'invalid_request');
      expect(String(response.body.error_description)).toMatch(/algorithm/i);
    });
  });

  describe('client authentication', () => {
    it.each([
      ['a wrong secret', basicAuth('m2m', 'wrong')],
      ['an unknown client', basicAuth('nobody', 'secret')],
      ['a disabled client', basicAuth('m2m.disabled', 'secret')],
      ['no colon', `Basic ${Buffer.from('m2m').toString('base64')}`],
      ['invalid base64', 'Basic %%%'],
      ['an empty Basic header', 'Basic'],
      ['bad percent-encoding', `Basic ${Buffer.from('m2m:%zz').toString('base64')}`],
    ])('when Basic carries %s, should be 401 invalid_client with a Basic challenge', async (_name, authorization) => {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization });
      await expectError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    });

    it('unknown client and wrong secret answer identically', async () => {
      const unknown = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basicAuth('nobody', 'x') });
      const wrong = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basicAuth('m2m', 'x') });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('when the secret is posted wrong, should be 401 invalid_client without challenge', async () => {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'm2m', client_secret: 'wrong' });
      await expectError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBeNull();
    });

    it('when no credentials are sent, should be 401 invalid_client', async () => {
      await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials' }), 401, 'invalid_client');
    });

    it('when a confidential client sends only client_id, should be 401 invalid_client', async () => {
      await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'm2m' }), 401, 'invalid_client');
    });

    it('when a public client asks for client_credentials, should be refused', async () => {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'spa' });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('unauthorized_client');
    });

    it('when two methods are used at once, should be invalid_request', async () => {
      await expectError(await postForm(tokenUrl, { grant_type: 'client_credentials', client_secret: 'secret' }, m2m), 400, 'invalid_request');
    });
  });

  describe('private_key_jwt', () => {
    it('a valid assertion is accepted once; its replay is refused', async () => {
      const jwt = await assertion({}).sign(fixtures.ecClientKey.privateKey);
      expect((await postForm(tokenUrl, withAssertion(jwt))).status).toBe(200);
      await expectError(await postForm(tokenUrl, withAssertion(jwt)), 401, 'invalid_client');
    });

    it('an assertion whose aud is the issuer is accepted', async () => {
      const jwt = await assertion({ aud: server.baseUrl }).sign(fixtures.ecClientKey.privateKey);
      expect((await postForm(tokenUrl, withAssertion(jwt))).status).toBe(200);
    });

    it('alg none is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify({ iss: 'm2m.jwt.ec', sub: 'm2m.jwt.ec', aud: tokenUrl, exp: now + 60, jti: 'none-1' }));
      await expectError(await postForm(tokenUrl, withAssertion(`${header}.${payload}.`)), 401, 'invalid_client');
    });

    it('HS256 signed with the client public key (as JWK JSON or as PEM) is refused', async () => {
      const pem = createPublicKey({ key: fixtures.rsaClientKey.publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      const encodings = [JSON.stringify(fixtures.rsaClientKey.publicJwk), pem];
      for (const [i, encoded] of encodings.entries()) {
        const jwt = await new SignJWT({ iss: 'm2m.jwt.rsa', sub: 'm2m.jwt.rsa', aud: tokenUrl, jti: `hs-${i}` })
          .setProtectedHeader({ alg: 'HS256', kid: fixtures.rsaClientKey.kid }).setExpirationTime('1m').sign(new TextEncoder().encode(encoded));
        await expectError(await postForm(tokenUrl, withAssertion(jwt)), 401, 'invalid_client');
      }
    });

    it.each([
      ['expired', { exp: Math.floor(Date.now() / 1000) - 120 }],
      ['exp beyond CLIENT_ASSERTION_MAX_LIFETIME (60 minutes) plus the clock skew', { exp: Math.floor(Date.now() / 1000) + 3600 + 90 }],
      ['iat in the future beyond the clock skew', { iat: Math.floor(Date.now() / 1000) + 120 }],
      ['exp missing', { exp: undefined }],
      ['jti missing', { jti: undefined }],
      ['a wrong aud', { aud: 'https://elsewhere.example/connect/token' }],
      ['sub different from iss', { sub: 'someone-else' }],
    ])('an assertion with %s is refused', async (_name, claims) => {
      const jwt = await assertion(claims).sign(fixtures.ecClientKey.privateKey);
      await expectError(await postForm(tokenUrl, withAssertion(jwt)), 401, 'invalid_client');
    });

    it('an assertion expiring 3,600 s ahead (as Authlib sends it; FAPI 2.0 allows 60 minutes), should be accepted', async () => {
      const jwt = await assertion({ exp: Math.floor(Date.now() / 1000) + 3600 }).sign(fixtures.ecClientKey.privateKey);
      const response = await postForm(tokenUrl, withAssertion(jwt));
      expect([response.status, response.body.token_type]).toEqual([200, 'Bearer']);
    });

    it('an assertion signed by another key is refused exactly like one for an unknown client', async () => {
      const wrongKey = await postForm(tokenUrl, withAssertion(await assertion({}, 'm2m.jwt.rsa').sign(fixtures.ecClientKey.privateKey)));
      await expectError(wrongKey, 401, 'invalid_client');
      const unknown = await postForm(tokenUrl, withAssertion(await assertion({}, 'nobody').sign(fixtures.ecClientKey.privateKey)));
      expect(unknown.body).toEqual(wrongKey.body);
    });

    it('a garbage assertion or a wrong assertion type is refused', async () => {
      await expectError(await postForm(tokenUrl, withAssertion('not.a.jwt')), 401, 'invalid_client');
      const jwt = await assertion({}).sign(fixtures.ecClientKey.privateKey);
      await expectError(await postForm(tokenUrl, withAssertion(jwt, { client_assertion_type: 'urn:other' })), 401, 'invalid_client');
    });

    it('an assertion for a client with only a shared secret is refused', async () => {
      const jwt = await assertion({}, 'm2m').sign(fixtures.ecClientKey.privateKey);
      await expectError(await postForm(tokenUrl, withAssertion(jwt)), 401, 'invalid_client');
    });
  });
});
