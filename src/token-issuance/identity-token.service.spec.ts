import { decodeJwt, type JWTPayload, type JWTVerifyResult } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';
import { FakeClock } from '../../test/support/fakes/key-management.fakes';
import { SigningService, type PublishedKeySet, type SignedJwt, type SignOptions } from '../key-management/signing.service';
import { UserStore } from '../stores/user.store';
import type { Client, User } from '../stores/models';
import { IdentityTokenService, tokenHash } from './identity-token.service';

/** Signs nothing: returns the payload as an unsigned JWT so the spec can read what would be signed. */
class RecordingSigningService extends SigningService {
  readonly calls: Array<{ payload: JWTPayload; options?: SignOptions }> = [];
  constructor(private readonly algorithms: readonly SigningAlgorithm[]) { super(); }
  async sign(payload: JWTPayload, options?: SignOptions): Promise<SignedJwt> {
    this.calls.push({ payload, options });
    const alg = options?.allowedAlgorithms?.[0]?.[0] ?? this.algorithms[0];
    const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    return { jwt: `${part({ alg })}.${part(payload)}.sig`, alg, kid: 'k1' };
  }
  async getPublishedKeySet(): Promise<PublishedKeySet> { throw new Error('not used'); }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return this.algorithms; }
  async verify(): Promise<JWTVerifyResult> { throw new Error('not used'); }
}

class FakeUserStore extends UserStore {
  lookups = 0;
  constructor(private readonly user: User) { super(); }
  async validateCredentials(): Promise<User | undefined> { return undefined; }
  async findBySubjectId(subjectId: string): Promise<User | undefined> {
    this.lookups++;
    return subjectId === this.user.subjectId ? this.user : undefined;
  }
}

const alice: User = { subjectId: '1', username: 'alice', claims: { name: 'Alice', email: 'alice@example.com', sub: 'spoof', iss: 'spoof' } };
const client = (overrides: Partial<Client> = {}): Client => ({
  clientId: 'web', identityTokenLifetime: 300, allowedTokenSigningAlgorithms: [], alwaysIncludeUserClaimsInIdToken: false, ...overrides,
} as Client);

describe('tokenHash', () => {
  it('should match the example of OIDC Core (at_hash, RS256)', () => {
    // OpenID Connect Core 1.0, Appendix A.3
    expect(tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });

  it('should use the hash size of the algorithm', () => {
    expect(Buffer.from(tokenHash('t', 'ES384'), 'base64url')).toHaveLength(24);
    expect(Buffer.from(tokenHash('t', 'PS512'), 'base64url')).toHaveLength(32);
  });
});

describe('IdentityTokenService.createIdentityToken', () => {
  const clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
  const base = {
    issuer: 'https://id.example', subject: '1', identityResources: [{ name: 'profile', userClaims: ['name'] }],
    sessionId: 'SID', authTime: new Date('2029-12-31T23:59:00Z'), amr: ['pwd'], nonce: 'n-1', accessToken: 'at', code: 'c',
  };

  it('should carry the protocol claims, nonce, at_hash, c_hash, sid, auth_time and amr', async () => {
    const signing = new RecordingSigningService(['RS256']);
    const jwt = await new IdentityTokenService(signing, new FakeUserStore(alice), clock).createIdentityToken({ ...base, client: client() });
    expect(decodeJwt(jwt)).toEqual({
      iss: 'https://id.example', sub: '1', aud: 'web', iat: 1893456000, nbf: 1893456000, exp: 1893456300,
      auth_time: 1893455940, amr: ['pwd'], sid: 'SID', idp: 'local', nonce: 'n-1',
      at_hash: tokenHash('at', 'RS256'), c_hash: tokenHash('c', 'RS256'),
    });
  });

  it('when the client wants user claims in the id token, should add those of the granted scopes only, never overriding protocol claims', async () => {
    const jwt = await new IdentityTokenService(new RecordingSigningService(['RS256']), new FakeUserStore(alice), clock)
      .createIdentityToken({ ...base, client: client({ alwaysIncludeUserClaimsInIdToken: true }) });
    const claims = decodeJwt(jwt);
    expect(claims).toMatchObject({ name: 'Alice', sub: '1', iss: 'https://id.example' });
    expect(claims.email).toBeUndefined();
  });

  it('when the client does not want user claims, should not look the user up', async () => {
    const users = new FakeUserStore(alice);
    await new IdentityTokenService(new RecordingSigningService(['RS256']), users, clock).createIdentityToken({ ...base, client: client() });
    expect(users.lookups).toBe(0);
  });

  it('when the client allows algorithms, should sign with the first one that has a key and hash with it', async () => {
    const signing = new RecordingSigningService(['RS256', 'ES384']);
    const jwt = await new IdentityTokenService(signing, new FakeUserStore(alice), clock)
      .createIdentityToken({ ...base, client: client({ allowedTokenSigningAlgorithms: ['PS256', 'ES384'] }) });
    expect(signing.calls[0].options?.allowedAlgorithms).toEqual([['ES384']]);
    expect(decodeJwt(jwt).at_hash).toBe(tokenHash('at', 'ES384'));
  });

  it('when no allowed algorithm has a key, should refuse with invalid_request', async () => {
    const service = new IdentityTokenService(new RecordingSigningService(['RS256']), new FakeUserStore(alice), clock);
    await expect(service.createIdentityToken({ ...base, client: client({ allowedTokenSigningAlgorithms: ['ES256'] }) }))
      .rejects.toMatchObject({ error: 'invalid_request' });
  });
});
