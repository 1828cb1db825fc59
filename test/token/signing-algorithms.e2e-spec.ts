import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, createTokenFixtures, postForm, type TokenFixtures } from './token-fixtures';

/**
 * docs/configuration-file.md/§5: access tokens are signed with the API resources' allowedAccessTokenSigningAlgorithms
 * when they set one, else the client's allowedTokenSigningAlgorithms, else the default (first).
 */
describe('access-token signing algorithm per client and per API', () => {
  let fixtures: TokenFixtures;
  let server: TestApp;

  beforeAll(async () => {
    fixtures = await createTokenFixtures();
    server = await startTestApp({ CONFIG_FILE: fixtures.configFile, KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
  });
  afterAll(async () => {
    await server?.close();
    fixtures?.remove();
  });

  async function algorithmOf(clientId: string, scope: string, audience: string): Promise<string> {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope }, { authorization: basicAuth(clientId, 'secret') });
    expect(response.status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/openid-configuration/jwks`));
    const { protectedHeader } = await jwtVerify(String(response.body.access_token), jwks, { issuer: server.baseUrl, audience, typ: 'at+jwt' });
    return protectedHeader.alg;
  }

  it.each([
    ['no list anywhere: the default (first) algorithm', 'm2m', 'api1', 'urn:api1', 'RS256'],
    ["the client's list", 'm2m.es256', 'api1', 'urn:api1', 'ES256'],
    ["the API's list", 'm2m', 'api.es', 'urn:es-api', 'ES256'],
    ["the API's list over the client's", 'm2m.es256', 'api.rs', 'urn:rs-api', 'RS256'],
  ])('%s', async (_name, clientId, scope, audience, expected) => {
    expect(await algorithmOf(clientId, scope, audience)).toBe(expected);
  });

  it('APIs whose lists have nothing in common: invalid_request with a description', async () => {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api.es api.rs' }, { authorization: basicAuth('m2m.conflict', 'secret') });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(String(response.body.error_description)).toMatch(/algorithm/i);
  });

  it('an algorithm without a key: a clean server_error, no details', async () => {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basicAuth('m2m.ps256', 'secret') });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: 'server_error', error_description: 'no signing key is available for the required algorithm' });
    expect(response.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
