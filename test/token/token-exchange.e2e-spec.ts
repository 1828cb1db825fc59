import * as client from 'openid-client';
import { createRemoteJWKSet, generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '../../src/common/clock';
import { TokenExchangeGrantHandler } from '../../src/token-exchange/token-exchange.grant-handler';
import { FakeClock } from '../support/fakes/fake-clock';
import { FormBrowser } from '../support/form-browser';
import { startTestAppWithFixtures, writeJson, type TestApp, type TestAppFixtures } from '../support/test-app';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const REDIRECT_URI = 'http://127.0.0.1:5002/signin-oidc';

/** A web app that signs users in, a gateway that exchanges their tokens, a service acting for them. */
function createExchangeFixtures(): TestAppFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-exchange-'));
  const secret = [{ type: 'SharedSecret', value: 'secret' }];
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      {
        clientId: 'web', clientSecrets: secret, allowedGrantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI],
        allowedScopes: ['openid', 'profile', 'api1', 'api2'],
      },
      {
        clientId: 'api-gateway', clientSecrets: secret, allowedGrantTypes: [TOKEN_EXCHANGE],
        allowedScopes: ['openid', 'api1', 'api2'], accessTokenLifetime: 600,
      },
      { clientId: 'orders-service', clientSecrets: secret, allowedGrantTypes: ['client_credentials'], allowedScopes: ['api2'] },
    ],
    identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', userClaims: ['name'] }],
    apiScopes: [{ name: 'api1' }, { name: 'api2' }],
    apiResources: [
      { name: 'urn:api1', scopes: ['api1'], apiSecrets: [] },
      { name: 'urn:api2', scopes: ['api2'], apiSecrets: [] },
    ],
    users: [{ subjectId: '1', username: 'alice', password: 'alice', claims: { name: 'Alice Smith' } }],
  });
  return { configFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * RFC 8693 token exchange against the real server: openid-client signs a user in at `web`, the
 * `api-gateway` client exchanges that user's access token (genericGrantRequest), and every issued
 * token is verified with jose against the served JWKS.
 */
describe('POST /connect/token, token exchange (RFC 8693)', () => {
  let server: TestApp;
  let gateway: client.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  // Starts at the real time (jose checks the issued tokens against it) and stands still.
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    // The README's worked example: the handler registered as an extension grant.
    server = await startTestAppWithFixtures(createExchangeFixtures(), {}, {
      grantHandlers: [TokenExchangeGrantHandler],
      providers: [{ provide: Clock, useValue: clock }],
    });
    gateway = await configuration('api-gateway');
    jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/openid-configuration/jwks`));
  });
  afterAll(() => server?.close());

  function configuration(clientId: string): Promise<client.Configuration> {
    return client.discovery(new URL(server.baseUrl), clientId, undefined, client.ClientSecretBasic('secret'), {
      execute: [client.allowInsecureRequests],
    });
  }

  /** Alice signs in at `web` (code flow with PKCE); the user access token it gets. */
  async function userAccessToken(scope = 'openid api1 api2'): Promise<string> {
    const web = await configuration('web');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(web, {
      redirect_uri: REDIRECT_URI, scope, state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.submit(await browser.get(url.toString()), { username: 'alice', password: 'alice' });
    if (!page.redirectedTo) throw new Error(`no redirect to the client: ${page.status} at ${page.url}`);
    const tokens = await client.authorizationCodeGrant(web, new URL(page.redirectedTo), { pkceCodeVerifier: verifier, expectedState: state });
    return tokens.access_token;
  }

  function exchange(params: Record<string, string>, as = gateway) {
    return client.genericGrantRequest(as, TOKEN_EXCHANGE, { subject_token_type: ACCESS_TOKEN_TYPE, ...params });
  }

  /** The RFC 6749 §5.2 error an exchange is refused with (openid-client throws it). */
  async function refusal(params: Record<string, string>, as = gateway): Promise<{ status: number; error: string }> {
    const thrown: unknown = await exchange(params, as).then(() => undefined, (error: unknown) => error);
    if (!(thrown instanceof client.ResponseBodyError)) throw new Error(`expected an error response, got ${String(thrown)}`);
    return { status: thrown.status, error: thrown.error };
  }

  async function verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, jwks, { issuer: server.baseUrl, typ: 'at+jwt' });
    return payload;
  }

  it('exchange, should issue an access token for the same user with act naming the gateway (RFC 8693 §2.2.1, §4.1)', async () => {
    const subjectToken = await userAccessToken();
    const response = await exchange({ subject_token: subjectToken });

    expect(response).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'bearer', expires_in: 600, scope: 'openid api1 api2' });
    expect(response.refresh_token).toBeUndefined();
    expect(response.id_token).toBeUndefined();
    const subject = await verify(subjectToken);
    const issued = await verify(response.access_token);
    expect(issued).toMatchObject({
      sub: '1', client_id: 'api-gateway', act: { client_id: 'api-gateway' }, aud: ['urn:api1', 'urn:api2'], scope: 'openid api1 api2',
      sid: subject.sid, auth_time: subject.auth_time, amr: ['pwd'], idp: 'local',
    });
    expect(issued.jti).not.toBe(subject.jti);
  });

  it('exchange with an actor token, should name the actor in act', async () => {
    const orders = await configuration('orders-service');
    const actor = await client.clientCredentialsGrant(orders, { scope: 'api2' });
    const response = await exchange({
      subject_token: await userAccessToken(), actor_token: actor.access_token, actor_token_type: ACCESS_TOKEN_TYPE, scope: 'api2',
    });
    expect(await verify(response.access_token)).toMatchObject({ sub: '1', act: { client_id: 'orders-service' }, aud: 'urn:api2', scope: 'api2' });
  });

  it('exchange of an exchanged token, should nest the prior actor in act', async () => {
    const first = await exchange({ subject_token: await userAccessToken() });
    const second = await exchange({ subject_token: first.access_token, scope: 'api1' });
    expect((await verify(second.access_token)).act).toEqual({ client_id: 'api-gateway', act: { client_id: 'api-gateway' } });
  });

  it('audience, should narrow the token to that API and its scopes', async () => {
    const response = await exchange({ subject_token: await userAccessToken(), audience: 'urn:api2' });
    expect(response.scope).toBe('openid api2');
    expect(await verify(response.access_token)).toMatchObject({ aud: 'urn:api2', scope: 'openid api2', sub: '1' });
  });

  it('resource and scope, should narrow the token to that API', async () => {
    const response = await exchange({ subject_token: await userAccessToken(), resource: 'urn:api1', scope: 'api1 api2' });
    expect(await verify(response.access_token)).toMatchObject({ aud: 'urn:api1', scope: 'api1' });
  });

  it('widening, should be refused: a scope or an audience the subject token does not allow', async () => {
    const narrow = await userAccessToken('openid api1');
    expect(await refusal({ subject_token: narrow, scope: 'api1 api2' })).toEqual({ status: 400, error: 'invalid_scope' });
    expect(await refusal({ subject_token: narrow, audience: 'urn:api2' })).toEqual({ status: 400, error: 'invalid_target' });
    expect(await refusal({ subject_token: narrow, resource: 'urn:unknown' })).toEqual({ status: 400, error: 'invalid_target' });
  });

  it('an expired subject token, should be refused with invalid_request (RFC 8693 §2.2.2)', async () => {
    const subjectToken = await userAccessToken();
    const lifetime = ((await verify(subjectToken)).exp ?? 0) * 1000 - clock.now().getTime();
    clock.advance(lifetime - 1000);
    try {
      // a second before expiry it is still exchanged — for no longer than it has left
      expect((await exchange({ subject_token: subjectToken })).expires_in).toBe(1);
      clock.advance(1000);
      expect(await refusal({ subject_token: subjectToken })).toEqual({ status: 400, error: 'invalid_request' });
    } finally {
      clock.advance(-lifetime); // later tests verify with jose against the real time
    }
  });

  it('a subject token signed by a key this server does not have, should be refused with invalid_request', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const foreign = await new SignJWT({ client_id: 'web', scope: 'openid api1', jti: 'forged', sub: '1', aud: 'urn:api1' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'not-ours' })
      .setIssuer(server.baseUrl).setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 300)
      .sign(privateKey);
    expect(await refusal({ subject_token: foreign })).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('an unsupported subject_token_type, should be refused with invalid_request', async () => {
    const subjectToken = await userAccessToken();
    expect(await refusal({ subject_token: subjectToken, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }))
      .toEqual({ status: 400, error: 'invalid_request' });
  });

  it('a client not allowed the grant, should be refused with unauthorized_client', async () => {
    const web = await configuration('web');
    expect(await refusal({ subject_token: await userAccessToken() }, web)).toEqual({ status: 400, error: 'unauthorized_client' });
  });

  it('discovery, should list the token-exchange grant', async () => {
    expect(gateway.serverMetadata().grant_types_supported).toContain(TOKEN_EXCHANGE);
  });
});
