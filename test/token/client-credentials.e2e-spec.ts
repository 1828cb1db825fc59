import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, createTokenFixtures, postForm, type TokenFixtures } from './token-fixtures';

/**
 * A real RP library (oauth4webapi) obtains client_credentials tokens with every client
 * authentication method; each JWT is verified with jose against the served JWKS.
 */
describe('POST /connect/token, client_credentials', () => {
  let fixtures: TokenFixtures;
  let server: TestApp;
  let as: oauth.AuthorizationServer;
  const insecure = { [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    fixtures = await createTokenFixtures();
    server = await startTestApp({ CONFIG_FILE: fixtures.configFile });
    const issuer = new URL(server.baseUrl);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  afterAll(async () => {
    await server?.close();
    fixtures?.remove();
  });

  async function obtain(clientId: string, auth: oauth.ClientAuth, params: Record<string, string> = {}): Promise<oauth.TokenEndpointResponse> {
    const client: oauth.Client = { client_id: clientId };
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(params), insecure);
    return oauth.processClientCredentialsResponse(as, client, response);
  }

  async function verifyAccessToken(token: string, audience: string): Promise<{ payload: JWTPayload; alg: string }> {
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/openid-configuration/jwks`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: server.baseUrl, audience, typ: 'at+jwt' });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    return { payload, alg: protectedHeader.alg };
  }

  function expectMachineClaims(payload: JWTPayload, clientId: string, scope: string): void {
    expect(payload).toMatchObject({ iss: server.baseUrl, client_id: clientId, scope });
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBe((payload.iat ?? 0) + 3600);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.jti).toEqual(expect.any(String));
  }

  it('client_secret_basic: issues an RS256 at+jwt for the requested scope', async () => {
    const result = await obtain('m2m', oauth.ClientSecretBasic('secret'), { scope: 'api1' });
    expect(result).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'api1' });
    const { payload, alg } = await verifyAccessToken(result.access_token, 'urn:api1');
    expect(alg).toBe('RS256');
    expectMachineClaims(payload, 'm2m', 'api1');
    expect(payload.aud).toBe('urn:api1');
  });

  it('client_secret_post: without scope, grants every allowed API scope with all their audiences', async () => {
    const result = await obtain('m2m.hashed', oauth.ClientSecretPost('secret'));
    expect(result.scope).toBe('api1 api2');
    const { payload } = await verifyAccessToken(result.access_token, 'urn:api2');
    expectMachineClaims(payload, 'm2m.hashed', 'api1 api2');
    expect(payload.aud).toEqual(['urn:api1', 'urn:api2']);
  });

  it('client_secret_basic with a form-urlencoded id and secret (RFC 6749 §2.3.1)', async () => {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' },
      { authorization: basicAuth('urn:client:special', 'p@ss:w+rd %') });
    expect(response.status).toBe(200);
    const { payload } = await verifyAccessToken(String(response.body.access_token), 'urn:api1');
    expect(payload.client_id).toBe('urn:client:special');
  });

  it('client_secret_basic with a secret configured as sha256:', async () => {
    const result = await obtain('m2m.hashed', oauth.ClientSecretBasic('secret'), { scope: 'api2' });
    expect((await verifyAccessToken(result.access_token, 'urn:api2')).payload.client_id).toBe('m2m.hashed');
  });

  it('private_key_jwt with an RS256 client key', async () => {
    const key = { key: fixtures.rsaClientKey.privateKey, kid: fixtures.rsaClientKey.kid };
    const result = await obtain('m2m.jwt.rsa', oauth.PrivateKeyJwt(key), { scope: 'api1' });
    expectMachineClaims((await verifyAccessToken(result.access_token, 'urn:api1')).payload, 'm2m.jwt.rsa', 'api1');
  });

  it('private_key_jwt with an ES256 client key', async () => {
    const key = { key: fixtures.ecClientKey.privateKey, kid: fixtures.ecClientKey.kid };
    const result = await obtain('m2m.jwt.ec', oauth.PrivateKeyJwt(key), { scope: 'api2' });
    expectMachineClaims((await verifyAccessToken(result.access_token, 'urn:api2')).payload, 'm2m.jwt.ec', 'api2');
  });

  it('resource (RFC 8707) narrows the audience to that API', async () => {
    const result = await obtain('m2m', oauth.ClientSecretBasic('secret'), { scope: 'api1 api2', resource: 'urn:api2' });
    expect(result.scope).toBe('api2');
    const { payload } = await verifyAccessToken(result.access_token, 'urn:api2');
    expect(payload.aud).toBe('urn:api2');
  });

  it('answers with Cache-Control: no-store and Pragma: no-cache', async () => {
    const response = await postForm(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basicAuth('m2m', 'secret') });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(decodeProtectedHeader(String(response.body.access_token)).typ).toBe('at+jwt');
  });

  it('discovery advertises the token endpoint, its auth methods, introspection and revocation', async () => {
    expect(as.token_endpoint).toBe(`${server.baseUrl}/connect/token`);
    expect(as.grant_types_supported).toContain('client_credentials');
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']));
    expect(as.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(as.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
    expect(as.introspection_endpoint).toBe(`${server.baseUrl}/connect/introspect`);
    expect(as.revocation_endpoint).toBe(`${server.baseUrl}/connect/revocation`);
    expect(as.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
    // RFC 8414 §2: required because private_key_jwt is offered at the revocation endpoint.
    expect(as.revocation_endpoint_auth_signing_alg_values_supported).toEqual(as.token_endpoint_auth_signing_alg_values_supported);
    expect(as.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });
});
