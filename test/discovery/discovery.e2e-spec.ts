import { createRemoteJWKSet, jwtVerify } from 'jose';
import { allowInsecureRequests, discovery } from 'openid-client';
import { SigningService } from '../../src/key-management/signing.service';
import { get } from '../hosting/nginx-proxy';
import { startTestApp, type TestApp } from '../support/test-app';

/** Discovery and JWKS as relying parties and APIs use them (docs/endpoints.md). */
describe('discovery and JWKS', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  it('openid-client, should discover the server and read its metadata', async () => {
    const configuration = await discovery(new URL(app.baseUrl), 'm2m', 'not-needed-for-discovery', undefined, {
      execute: [allowInsecureRequests],
    });
    const metadata = configuration.serverMetadata();
    expect(metadata.issuer).toBe(app.baseUrl);
    expect(metadata.token_endpoint).toBe(`${app.baseUrl}/connect/token`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'api1', 'offline_access']));
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'name', 'email']));
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('jose createRemoteJWKSet, should verify a token the server signed', async () => {
    const signed = await app.app.get(SigningService).sign({ iss: app.baseUrl, sub: 'alice', aud: 'urn:api1' }, { typ: 'at+jwt' });
    const document = (await (await fetch(`${app.baseUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = createRemoteJWKSet(new URL(document.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(signed.jwt, jwks, { issuer: app.baseUrl, audience: 'urn:api1' });
    expect(payload.sub).toBe('alice');
    expect(protectedHeader.kid).toBe(signed.kid);
  });

  it('JWKS, should publish public keys only, each with kid, kty, use and alg', async () => {
    const response = await fetch(`${app.baseUrl}/.well-known/openid-configuration/jwks`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kid: expect.any(String), kty: expect.any(String), use: 'sig', alg: expect.any(String) });
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(privateMember);
    }
  });

  it.each([
    ['/.well-known/openid-configuration', /^public, max-age=3600$/],
    ['/.well-known/openid-configuration/jwks', /^public, max-age=\d+$/],
  ])('%s, should be cacheable and answer 304 to a matching If-None-Match', async (path, cacheControl) => {
    const first = await fetch(`${app.baseUrl}${path}`);
    expect(first.headers.get('cache-control')).toMatch(cacheControl);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const again = await fetch(`${app.baseUrl}${path}`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const changed = await fetch(`${app.baseUrl}${path}`, { headers: { 'if-none-match': '"something-else"' } });
    expect(changed.status).toBe(200);
  });

  it('discovery, should be served from one serialisation per issuer', async () => {
    const a = await (await fetch(`${app.baseUrl}/.well-known/openid-configuration`)).text();
    const b = await (await fetch(`${app.baseUrl}/.well-known/openid-configuration`)).text();
    expect(b).toBe(a);
    // fetch may not set Host: node's http client may.
    const other = await get(`${app.baseUrl}/.well-known/openid-configuration`, undefined, { host: 'id.example.test' });
    expect((JSON.parse(other.body) as { issuer: string }).issuer).toBe('http://id.example.test');
  });
});
