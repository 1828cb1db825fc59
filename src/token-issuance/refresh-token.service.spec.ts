import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import type { Client, PersistedGrant } from '../stores/models';
import { RefreshTokenService, refreshTokenExpiration } from './refresh-token.service';

const DAY = 86_400;
const T0 = Date.parse('2030-01-01T00:00:00Z');

class InMemoryGrantStore extends PersistedGrantStore {
  readonly rows = new Map<string, PersistedGrant>();
  async store(grant: PersistedGrant): Promise<void> { this.rows.set(grant.key, grant); }
  async get(key: string): Promise<PersistedGrant | undefined> { return this.rows.get(key); }
  async getAll(): Promise<readonly PersistedGrant[]> { return [...this.rows.values()]; }
  async remove(key: string): Promise<void> { this.rows.delete(key); }
  async removeAll(): Promise<void> { this.rows.clear(); }
  async consume(): Promise<boolean> { return true; }
  async removeExpired(): Promise<number> { return 0; }
}

const lifetimes = (expiration: 'absolute' | 'sliding', absolute = 30 * DAY, sliding = 15 * DAY) =>
  ({ refreshTokenExpiration: expiration, absoluteRefreshTokenLifetime: absolute, slidingRefreshTokenLifetime: sliding });

describe('refreshTokenExpiration', () => {
  it('absolute, should count from the start of the family whenever the token is renewed', () => {
    expect(refreshTokenExpiration(lifetimes('absolute'), T0, T0 + 10 * DAY * 1000)).toBe(T0 + 30 * DAY * 1000);
  });

  it('sliding, should extend from now but never past the absolute limit', () => {
    expect(refreshTokenExpiration(lifetimes('sliding'), T0, T0 + DAY * 1000)).toBe(T0 + 16 * DAY * 1000);
    expect(refreshTokenExpiration(lifetimes('sliding'), T0, T0 + 20 * DAY * 1000)).toBe(T0 + 30 * DAY * 1000);
  });

  it('sliding with an absolute lifetime of 0, should have no absolute limit', () => {
    expect(refreshTokenExpiration(lifetimes('sliding', 0), T0, T0 + 100 * DAY * 1000)).toBe(T0 + 115 * DAY * 1000);
  });
});

describe('RefreshTokenService', () => {
  const client = { clientId: 'web', ...lifetimes('absolute') } as Client;

  it('createRefreshToken, should store only a hash of the handle, the payload protected, and find it again', async () => {
    const grants = new InMemoryGrantStore();
    const service = new RefreshTokenService(grants, new FakeDataProtectionProvider(), new FakeClock(new Date(T0)));
    const handle = await service.createRefreshToken({ client, subjectId: '1', scopes: ['openid', 'offline_access'], sessionId: 'SID' });
    const [row] = [...grants.rows.values()];
    expect(row).toMatchObject({ type: 'refresh_token', subjectId: '1', clientId: 'web', sessionId: 'SID', expiration: new Date(T0 + 30 * DAY * 1000) });
    expect(row.key).not.toContain(handle);
    expect(row.data).not.toContain('offline_access');
    const found = await service.find(handle);
    expect(found?.payload).toMatchObject({ subjectId: '1', scopes: ['openid', 'offline_access'], familyCreatedAt: T0 });
    expect(await service.find('unknown')).toBeUndefined();
  });

  it('createRefreshToken, when rotating, should keep the family and its absolute limit', async () => {
    const clock = new FakeClock(new Date(T0));
    const service = new RefreshTokenService(new InMemoryGrantStore(), new FakeDataProtectionProvider(), clock);
    const first = await service.find(await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    clock.advance(5 * DAY * 1000);
    const family = { familyId: first?.payload.familyId ?? '', familyCreatedAt: first?.payload.familyCreatedAt ?? 0 };
    const second = await service.find(await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'], family }));
    expect(second?.payload.familyId).toBe(first?.payload.familyId);
    expect(second?.grant.expiration).toEqual(first?.grant.expiration);
  });
});
