import { decodeJwt, type JWTPayload, type JWTVerifyResult } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';
import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import type { RequestOrigin } from '../hosting/request-origin';
import { SigningService, type PublishedKeySet, type SignedJwt, type SignOptions } from '../key-management/signing.service';
import { InvalidGrantError, InvalidScopeError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import type { Client, PersistedGrant, Resources, User } from '../stores/models';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ResourceStore } from '../stores/resource.store';
import { UserStore } from '../stores/user.store';
import { AccessTokenService } from '../token-issuance/access-token.service';
import { IdentityTokenService, tokenHash } from '../token-issuance/identity-token.service';
import { ReferenceTokenService } from '../token-issuance/reference-token.service';
import { RefreshTokenService } from '../token-issuance/refresh-token.service';
import { UserTokenResponseGenerator, type UserTokenRequest } from './user-token-response.generator';

/** Returns the payload as an unsigned JWT so the spec can read what would be signed. */
class RecordingSigningService extends SigningService {
  signed = 0;
  async sign(payload: JWTPayload, options?: SignOptions): Promise<SignedJwt> {
    this.signed++;
    const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    return { jwt: `${part({ alg: 'RS256', typ: options?.typ })}.${part(payload)}.sig`, alg: 'RS256', kid: 'k1' };
  }
  async getPublishedKeySet(): Promise<PublishedKeySet> { throw new Error('not used'); }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return ['RS256']; }
  async verify(): Promise<JWTVerifyResult> { throw new Error('not used'); }
}

class FixedResourceStore extends ResourceStore {
  constructor(private readonly resources: Resources) { super(); }
  async getAllResources(): Promise<Resources> { return this.resources; }
}

class OneUserStore extends UserStore {
  constructor(private readonly user: User) { super(); }
  async validateCredentials(): Promise<User | undefined> { return undefined; }
  async findBySubjectId(subjectId: string): Promise<User | undefined> { return subjectId === this.user.subjectId ? this.user : undefined; }
}

/** Keeps what token creation stores; nothing here removes or consumes. */
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

function unused(): never {
  throw new Error('not used by token creation');
}

function webClient(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'web', enabled: true, clientSecrets: [], requireClientSecret: true,
    allowedGrantTypes: ['authorization_code', 'refresh_token'], allowedScopes: ['openid', 'api1'],
    redirectUris: [], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: true,
    accessTokenType: 'jwt', accessTokenLifetime: 3600, identityTokenLifetime: 300, authorizationCodeLifetime: 300,
    deviceCodeLifetime: 300, refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute',
    absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000, allowedTokenSigningAlgorithms: [],
    alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false, ...overrides,
  };
}

const alice: User = { subjectId: '1', username: 'alice', claims: {} };
const resources: Resources = {
  identityResources: [{ name: 'openid', userClaims: ['sub'] }],
  apiScopes: [{ name: 'api1', userClaims: [] }],
  apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] }],
};

function setUp() {
  const clock = new FakeClock();
  const signing = new RecordingSigningService();
  const grants = new StoringGrantStore();
  const protection = new FakeDataProtectionProvider();
  const refreshTokens = new RefreshTokenService(grants, protection, clock);
  const generator = new UserTokenResponseGenerator(
    new ResourceCatalog(new FixedResourceStore(resources), clock),
    new OneUserStore(alice),
    new AccessTokenService(signing, new ReferenceTokenService(grants, protection, clock), clock),
    new IdentityTokenService(signing, new OneUserStore(alice), clock),
    refreshTokens,
  );
  return { generator, grants, signing, refreshTokens };
}

const origin: RequestOrigin = { clientIp: '127.0.0.1', scheme: 'https', host: 'id.example', issuer: 'https://id.example' };
const request = (overrides: Partial<UserTokenRequest> = {}): UserTokenRequest => ({
  client: webClient(), origin, subjectId: '1', sessionId: 'SID', authTime: new Date('2029-12-31T23:00:00Z'), amr: ['pwd'],
  scopes: ['openid', 'api1', 'offline_access'], refresh: { kind: 'new-family' }, ...overrides,
});

describe('UserTokenResponseGenerator.createResponse', () => {
  it('new-family with openid and offline_access, should return access, identity (nonce, at_hash) and a fresh refresh token', async () => {
    const { generator, refreshTokens } = setUp();
    const response = await generator.createResponse(request({ resource: 'urn:api1', nonce: 'n-1' }));

    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid api1 offline_access' });
    expect(Object.keys(response)).toEqual(['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'id_token']);
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: '1', sid: 'SID', aud: 'urn:api1', amr: ['pwd'], idp: 'local' });
    expect(decodeJwt(response.id_token ?? '')).toMatchObject({
      sub: '1', aud: 'web', nonce: 'n-1', at_hash: tokenHash(response.access_token, 'RS256'),
    });
    const stored = await refreshTokens.find(response.refresh_token ?? '');
    expect(stored?.payload).toMatchObject({ subjectId: '1', sessionId: 'SID', resource: 'urn:api1', scopes: ['openid', 'api1', 'offline_access'] });
  });

  it('new-family without offline_access or openid, should return only the access token', async () => {
    const { generator, grants } = setUp();
    const response = await generator.createResponse(request({ scopes: ['api1'] }));

    expect(Object.keys(response)).toEqual(['access_token', 'token_type', 'expires_in', 'scope']);
    expect(grants.rows.size).toBe(0);
  });

  it('without a nonce (device and refresh grants), should issue an identity token without nonce', async () => {
    const { generator } = setUp();
    const response = await generator.createResponse(request());
    expect(decodeJwt(response.id_token ?? '')).not.toHaveProperty('nonce');
  });

  it('rotate, should return the handler\'s token and start no new family', async () => {
    const { generator, grants } = setUp();
    const response = await generator.createResponse(request({ refresh: { kind: 'rotate', next: async () => 'rotated-handle' } }));

    expect(response.refresh_token).toBe('rotated-handle');
    expect(response.id_token).toBeDefined();
    expect(grants.rows.size).toBe(0);
  });

  it.each([
    ['the user is no longer active', { subjectId: 'gone' }, InvalidGrantError],
    ['the client may no longer use a scope', { client: webClient({ allowedScopes: ['openid'] }) }, InvalidScopeError],
  ])('rotate, when %s, should refuse before rotating or signing anything', async (_name, overrides, error) => {
    const { generator, signing } = setUp();
    let rotations = 0;
    const next = async (): Promise<string> => { rotations++; return 'rotated-handle'; };

    await expect(generator.createResponse(request({ ...overrides, refresh: { kind: 'rotate', next } }))).rejects.toThrow(error);
    expect(rotations).toBe(0);
    expect(signing.signed).toBe(0);
  });
});
