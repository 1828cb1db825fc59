import {
  decodeJwt, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult,
} from 'jose';
import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import type { AuthenticatedClient } from '../client-authentication/authenticated-client';
import type { SigningAlgorithm } from '../config/app-config';
import type { RequestOrigin } from '../hosting/request-origin';
import { SigningService, type PublishedKeySet, type SignedJwt, type SignOptions } from '../key-management/signing.service';
import { ProtocolError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import type { ApiResource, ApiScope, Client, IdentityResource, PersistedGrant, Resources, User } from '../stores/models';
import { ClientStore } from '../stores/client.store';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ResourceStore } from '../stores/resource.store';
import { UserStore } from '../stores/user.store';
import { AccessTokenService } from '../token-issuance/access-token.service';
import { AccessTokenValidator } from '../token-issuance/access-token.validator';
import { ReferenceTokenService } from '../token-issuance/reference-token.service';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from './token-exchange.policy';
import { TokenExchangeGrantHandler } from './token-exchange.grant-handler';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** Signs and verifies for real with one ES256 key, so a token signed elsewhere fails as it would in production. */
class OneKeySigningService extends SigningService {
  constructor(private readonly keys: KeyPair) { super(); }
  async sign(payload: JWTPayload, options?: SignOptions): Promise<SignedJwt> {
    const jwt = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: options?.typ }).sign(this.keys.privateKey);
    return { jwt, alg: 'ES256', kid: 'k1' };
  }
  async getPublishedKeySet(): Promise<PublishedKeySet> {
    const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(this.keys.publicKey)), kid: 'k1' }] };
    return { jwks, json: JSON.stringify(jwks), etag: 'k1' };
  }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return ['ES256']; }
  verify(jwt: string, options?: JWTVerifyOptions): Promise<JWTVerifyResult> { return jwtVerify(jwt, this.keys.publicKey, options); }
}

class FixedResourceStore extends ResourceStore {
  constructor(private readonly resources: Resources) { super(); }
  async getAllResources(): Promise<Resources> { return this.resources; }
  async findIdentityResourcesByScopeName(): Promise<readonly IdentityResource[]> { throw new Error('not used'); }
  async findApiScopesByName(): Promise<readonly ApiScope[]> { throw new Error('not used'); }
  async findApiResourcesByScopeName(): Promise<readonly ApiResource[]> { throw new Error('not used'); }
  async findApiResourcesByName(): Promise<readonly ApiResource[]> { throw new Error('not used'); }
}

class UsersByIdStore extends UserStore {
  readonly users = new Map<string, User>();
  async validateCredentials(): Promise<User | undefined> { return undefined; }
  async findBySubjectId(subjectId: string): Promise<User | undefined> { return this.users.get(subjectId); }
}

/** Keeps reference tokens; nothing here removes or consumes. */
class StoringGrantStore extends PersistedGrantStore {
  readonly rows = new Map<string, PersistedGrant>();
  async store(grant: PersistedGrant): Promise<void> { this.rows.set(grant.key, grant); }
  async get(key: string): Promise<PersistedGrant | undefined> { return this.rows.get(key); }
  getAll(): Promise<readonly PersistedGrant[]> { return unused(); }
  remove(): Promise<void> { return unused(); }
  removeAll(): Promise<void> { return unused(); }
  consume(): Promise<boolean> { return unused(); }
  removeExpired(): Promise<number> { return unused(); }
}

/** Every client id is a known, enabled client (the clients' own lifetimes are at most an hour here). */
class EveryClientStore extends ClientStore {
  findClientById(clientId: string): Promise<Client | undefined> {
    return Promise.resolve(client(clientId, { accessTokenLifetime: 3600 }));
  }
}

function unused(): never {
  throw new Error('not used by token exchange');
}

function client(clientId: string, overrides: Partial<Client> = {}): Client {
  return {
    clientId, enabled: true, clientSecrets: [], requireClientSecret: true,
    allowedGrantTypes: [TOKEN_EXCHANGE_GRANT_TYPE], allowedScopes: ['openid', 'api1', 'api2'],
    redirectUris: [], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: false,
    accessTokenType: 'jwt', accessTokenLifetime: 600, identityTokenLifetime: 300, authorizationCodeLifetime: 300,
    deviceCodeLifetime: 300, refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute',
    absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000, allowedTokenSigningAlgorithms: [],
    alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false, ...overrides,
  };
}

const resources: Resources = {
  identityResources: [{ name: 'openid', userClaims: ['sub'] }],
  apiScopes: [{ name: 'api1', userClaims: [] }, { name: 'api2', userClaims: [] }],
  apiResources: [
    { name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] },
    { name: 'urn:api2', scopes: ['api2'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] },
  ],
};
const origin: RequestOrigin = { clientIp: '127.0.0.1', scheme: 'https', host: 'id.example', issuer: 'https://id.example' };
const web = client('web', { allowedScopes: ['openid', 'api1', 'api2'], accessTokenLifetime: 3600 });
const gateway: AuthenticatedClient = { client: client('api-gateway'), method: 'client_secret_basic' };

async function setUp() {
  const clock = new FakeClock();
  const keys = await generateKeyPair('ES256');
  const signing = new OneKeySigningService(keys);
  const grants = new StoringGrantStore();
  const referenceTokens = new ReferenceTokenService(grants, new FakeDataProtectionProvider(), clock);
  const accessTokens = new AccessTokenService(signing, referenceTokens, clock);
  const catalog = new ResourceCatalog(new FixedResourceStore(resources), clock);
  const users = new UsersByIdStore();
  users.users.set('1', { subjectId: '1', username: 'alice', claims: {} });
  users.users.set('admin', { subjectId: 'admin', username: 'admin', claims: {} });
  const handler = new TokenExchangeGrantHandler(new AccessTokenValidator(signing, referenceTokens, new EveryClientStore(), users, clock), catalog, users, accessTokens, clock);

  /** A user access token as the code flow would issue it to `web`. */
  async function userToken(subject = '1', overrides: { client?: Client; scopes?: string[]; act?: { client_id: string } } = {}): Promise<string> {
    const apiResources = resources.apiResources.filter((api) => (overrides.scopes ?? ['api1', 'api2']).some((s) => api.scopes.includes(s)));
    const issued = await accessTokens.createAccessToken({
      issuer: origin.issuer, client: overrides.client ?? web, scopes: overrides.scopes ?? ['openid', 'api1', 'api2'], apiResources,
      subject, sessionId: 'SID', authTime: new Date('2029-12-31T23:00:00Z'), amr: ['pwd'], idp: 'local', act: overrides.act,
    });
    return issued.accessToken;
  }

  function exchange(params: Record<string, string>, as: AuthenticatedClient = gateway) {
    return handler.handle({ params: { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token_type: ACCESS_TOKEN_TYPE, ...params }, client: as, origin });
  }

  return { clock, users, userToken, exchange, signing, handler };
}

async function refusal(promise: Promise<unknown>): Promise<{ error: string; description?: string; status: number }> {
  const error: unknown = await promise.then(() => undefined, (thrown: unknown) => thrown);
  if (!(error instanceof ProtocolError)) throw new Error(`expected a protocol error, got ${String(error)}`);
  return { error: error.error, description: error.description, status: error.status };
}

describe('TokenExchangeGrantHandler.handle', () => {
  it('grantType, should be the RFC 8693 grant declared with @GrantType', async () => {
    const { handler } = await setUp();
    expect(handler.grantType).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
  });

  it('with a user access token, should issue an access token for the same user naming the gateway in act (RFC 8693 §2.2.1)', async () => {
    const { clock, userToken, exchange, signing } = await setUp();
    const response = await exchange({ subject_token: await userToken() });

    expect(response).toEqual({
      access_token: expect.any(String), issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 600, scope: 'openid api1 api2',
    });
    const { payload, protectedHeader } = await signing.verify(response.access_token, { issuer: origin.issuer, currentDate: clock.now() });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: '1', client_id: 'api-gateway', act: { client_id: 'api-gateway' }, aud: ['urn:api1', 'urn:api2'],
      sid: 'SID', amr: ['pwd'], idp: 'local', auth_time: Date.parse('2029-12-31T23:00:00Z') / 1000,
    });
  });

  it('with scope and audience, should narrow the token to that API', async () => {
    const { userToken, exchange } = await setUp();
    const response = await exchange({ subject_token: await userToken(), scope: 'api1 api2', audience: 'urn:api2' });
    expect(response.scope).toBe('api2');
    expect(decodeJwt(response.access_token)).toMatchObject({ aud: 'urn:api2', scope: 'api2' });
  });

  it('with a user actor token, should put the actor\'s sub in act', async () => {
    const { userToken, exchange } = await setUp();
    const response = await exchange({ subject_token: await userToken(), actor_token: await userToken('admin'), actor_token_type: ACCESS_TOKEN_TYPE });
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: '1', act: { sub: 'admin' } });
  });

  it('with a subject token that already has act, should nest the prior actor', async () => {
    const { userToken, exchange } = await setUp();
    const response = await exchange({ subject_token: await userToken('1', { act: { client_id: 'first-hop' } }) });
    expect(decodeJwt(response.access_token).act).toEqual({ client_id: 'api-gateway', act: { client_id: 'first-hop' } });
  });

  it('with a reference subject token, should look it up and exchange it', async () => {
    const { userToken, exchange } = await setUp();
    const handle = await userToken('1', { client: client('web.reference', { accessTokenType: 'reference', accessTokenLifetime: 3600 }) });
    expect(handle.split('.')).toHaveLength(1);
    const response = await exchange({ subject_token: handle, scope: 'api1' });
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: '1', scope: 'api1', act: { client_id: 'api-gateway' } });
  });

  it('when the subject token has less time left than the client lifetime, should not outlive it', async () => {
    const { clock, userToken, exchange } = await setUp();
    const subjectToken = await userToken();
    clock.advance(3500 * 1000);
    const response = await exchange({ subject_token: subjectToken });
    expect(response.expires_in).toBe(100);
    expect(decodeJwt(subjectToken).exp).toBe(decodeJwt(response.access_token).exp);
  });

  it('with an expired subject token, should refuse with invalid_request (RFC 8693 §2.2.2)', async () => {
    const { clock, userToken, exchange } = await setUp();
    const subjectToken = await userToken();
    clock.advance(3600 * 1000);
    expect(await refusal(exchange({ subject_token: subjectToken }))).toEqual({
      error: 'invalid_request', description: 'the subject_token is invalid or expired', status: 400,
    });
  });

  it('with an expired reference subject token, should refuse with invalid_request', async () => {
    const { clock, userToken, exchange } = await setUp();
    const handle = await userToken('1', { client: client('web.reference', { accessTokenType: 'reference', accessTokenLifetime: 60 }) });
    clock.advance(60 * 1000);
    expect(await refusal(exchange({ subject_token: handle }))).toMatchObject({ error: 'invalid_request' });
  });

  it('with a subject token signed by a key this server does not have, should refuse with invalid_request', async () => {
    const { exchange } = await setUp();
    const foreign = await setUp();
    expect(await refusal(exchange({ subject_token: await foreign.userToken() }))).toMatchObject({
      error: 'invalid_request', description: 'the subject_token is invalid or expired',
    });
  });

  it('with a subject token of another issuer, should refuse with invalid_request', async () => {
    const { exchange, signing } = await setUp();
    const now = Date.parse('2030-01-01T00:00:00Z') / 1000;
    const { jwt } = await signing.sign(
      { iss: 'https://evil.example', client_id: 'web', scope: 'api1', sub: '1', iat: now, exp: now + 600, jti: 'x' }, { typ: 'at+jwt' },
    );
    expect(await refusal(exchange({ subject_token: jwt }))).toMatchObject({ error: 'invalid_request' });
  });

  it('with a malformed or unknown subject token, should refuse with invalid_request', async () => {
    const { exchange } = await setUp();
    expect(await refusal(exchange({ subject_token: 'not.a.jwt' }))).toMatchObject({ error: 'invalid_request' });
    expect(await refusal(exchange({ subject_token: 'no-such-reference-handle' }))).toMatchObject({ error: 'invalid_request' });
  });

  it('with an expired actor token, should refuse with invalid_request naming the actor_token', async () => {
    const { clock, userToken, exchange } = await setUp();
    const actorToken = await userToken('admin', { client: client('admin-app', { accessTokenLifetime: 60 }) });
    clock.advance(60 * 1000);
    expect(await refusal(exchange({ subject_token: await userToken(), actor_token: actorToken, actor_token_type: ACCESS_TOKEN_TYPE })))
      .toMatchObject({ error: 'invalid_request', description: 'the actor_token is invalid or expired' });
  });

  it('when the subject\'s user is no longer active, should refuse with invalid_request', async () => {
    const { users, userToken, exchange } = await setUp();
    const subjectToken = await userToken();
    users.users.delete('1');
    expect(await refusal(exchange({ subject_token: subjectToken }))).toMatchObject({ error: 'invalid_request' });
  });

  it('with a scope the subject token does not hold, should refuse with invalid_scope', async () => {
    const { userToken, exchange } = await setUp();
    expect(await refusal(exchange({ subject_token: await userToken('1', { scopes: ['api1'] }), scope: 'api1 api2' })))
      .toMatchObject({ error: 'invalid_scope', status: 400 });
  });

  it('with an audience outside the subject token\'s scopes, should refuse with invalid_target', async () => {
    const { userToken, exchange } = await setUp();
    expect(await refusal(exchange({ subject_token: await userToken('1', { scopes: ['api1'] }), audience: 'urn:api2' })))
      .toMatchObject({ error: 'invalid_target', status: 400 });
  });

  it('with an unsupported subject_token_type, should refuse with invalid_request', async () => {
    const { userToken, exchange } = await setUp();
    expect(await refusal(exchange({ subject_token: await userToken(), subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })))
      .toMatchObject({ error: 'invalid_request' });
  });
});
