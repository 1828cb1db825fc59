import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import type { PersistedGrant } from '../stores/models';
import { ConsentService, isConsentRequired, REMEMBERED_CONSENT_LIFETIME_MS } from './consent.service';

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

describe('isConsentRequired', () => {
  const ask = (requireConsent: boolean, promptConsent: boolean, rememberedScopes?: string[]) =>
    isConsentRequired({ client: { requireConsent }, requestedScopes: ['openid', 'api1'], promptConsent, rememberedScopes });

  it('when the client does not require consent, should not ask unless prompt=consent', () => {
    expect(ask(false, false)).toBe(false);
    expect(ask(false, true)).toBe(true);
  });

  it('when the client requires consent, should ask unless every requested scope was remembered', () => {
    expect(ask(true, false)).toBe(true);
    expect(ask(true, false, ['openid'])).toBe(true);
    expect(ask(true, false, ['openid', 'api1', 'profile'])).toBe(false);
    expect(ask(true, true, ['openid', 'api1'])).toBe(true);
  });
});

describe('ConsentService', () => {
  it('remember, should keep one protected grant per subject and client, merging scopes, until it expires', async () => {
    const grants = new InMemoryGrantStore();
    const clock = new FakeClock();
    const service = new ConsentService(grants, new FakeDataProtectionProvider(), clock);
    expect(await service.getRememberedScopes('1', 'web')).toBeUndefined();

    await service.remember('1', 'web', ['openid']);
    await service.remember('1', 'web', ['api1']);
    expect(grants.rows.size).toBe(1);
    const [row] = [...grants.rows.values()];
    expect(row).toMatchObject({ type: 'user_consent', subjectId: '1', clientId: 'web' });
    expect(row.data).not.toContain('openid');
    expect(await service.getRememberedScopes('1', 'web')).toEqual(['openid', 'api1']);
    expect(await service.getRememberedScopes('2', 'web')).toBeUndefined();
    expect(await service.getRememberedScopes('1', 'spa')).toBeUndefined();

    clock.advance(REMEMBERED_CONSENT_LIFETIME_MS + 1);
    expect(await service.getRememberedScopes('1', 'web')).toBeUndefined();
  });

  it('getRememberedScopes, when the grant cannot be unprotected, should treat it as no consent', async () => {
    const dataProtection = new FakeDataProtectionProvider();
    const service = new ConsentService(new InMemoryGrantStore(), dataProtection, new FakeClock());
    await service.remember('1', 'web', ['openid']);
    dataProtection.broken = true;
    expect(await service.getRememberedScopes('1', 'web')).toBeUndefined();
  });
});
