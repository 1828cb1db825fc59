import type { AuthenticatedClient } from '../client-authentication/authenticated-client';
import { InvalidRequestError, UnsupportedTokenTypeError } from '../protocol/protocol-errors';
import { Clock } from '../common/clock';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import type { Client, PersistedGrant, PersistedGrantFilter } from '../stores/models';
import { persistedGrantKey } from '../token-issuance/token-handle';
import { lookupOrder, RevocationService } from './revocation.service';

describe('lookupOrder', () => {
  it('when no hint is given, should try reference tokens then refresh tokens', () => {
    expect(lookupOrder(undefined)).toEqual(['reference_token', 'refresh_token']);
  });

  it('when the hint is refresh_token, should try refresh tokens first but still both (RFC 7009 §2.1)', () => {
    expect(lookupOrder('refresh_token')).toEqual(['refresh_token', 'reference_token']);
    expect(lookupOrder('access_token')).toEqual(['reference_token', 'refresh_token']);
  });

  it('when the hint is a type the server does not revoke, should be unsupported_token_type', () => {
    expect(() => lookupOrder('id_token')).toThrow(UnsupportedTokenTypeError);
  });
});

class FakeClock extends Clock {
  now(): Date { return new Date('2026-01-01T00:00:00Z'); }
}

/** In-memory PersistedGrantStore: just enough for revocation. */
class FakeGrantStore extends PersistedGrantStore {
  readonly grants = new Map<string, PersistedGrant>();
  async store(grant: PersistedGrant): Promise<void> { this.grants.set(grant.key, grant); }
  async get(key: string): Promise<PersistedGrant | undefined> { return this.grants.get(key); }
  async getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]> {
    return [...this.grants.values()].filter((g) => (Object.keys(filter) as Array<keyof PersistedGrantFilter>).every((k) => filter[k] === undefined || g[k] === filter[k]));
  }
  async remove(key: string): Promise<void> { this.grants.delete(key); }
  async removeAll(filter: PersistedGrantFilter): Promise<void> { for (const g of await this.getAll(filter)) this.grants.delete(g.key); }
  async consume(): Promise<boolean> { return true; }
  async removeExpired(): Promise<number> { return 0; }
}

function grant(handle: string, type: string, clientId: string, subjectId = 'alice'): PersistedGrant {
  return { key: persistedGrantKey(handle, type), type, clientId, subjectId, sessionId: 's1', creationTime: new Date(), data: 'protected' };
}

describe('RevocationService.revoke', () => {
  const caller = (clientId: string, method: AuthenticatedClient['method'] = 'client_secret_basic'): AuthenticatedClient =>
    ({ client: { clientId } as Partial<Client> as Client, method });
  const web = caller('web');
  let store: FakeGrantStore;
  let service: RevocationService;
  beforeEach(async () => {
    store = new FakeGrantStore();
    service = new RevocationService(store, new FakeClock());
    await store.store(grant('rt', 'refresh_token', 'web'));
    await store.store(grant('at', 'reference_token', 'web'));
    await store.store(grant('at-bob', 'reference_token', 'web', 'bob'));
  });

  it('when the owner revokes a refresh token, should remove it and the reference tokens of that user, client and session', async () => {
    await service.revoke('rt', 'refresh_token', web);
    expect([...store.grants.values()].map((g) => g.subjectId)).toEqual(['bob']);
  });

  it('when another confidential client revokes it, should refuse with invalid_request and keep it (RFC 7009 §2.1)', async () => {
    await expect(service.revoke('rt', undefined, caller('other'))).rejects.toThrow(InvalidRequestError);
    expect(store.grants.size).toBe(3);
  });

  it('when another public client revokes it, should answer as for an unknown token and keep it', async () => {
    await expect(service.revoke('rt', undefined, caller('spa', 'none'))).resolves.toBeUndefined();
    expect(store.grants.size).toBe(3);
  });

  it('when the token is unknown, should do nothing and not throw', async () => {
    await expect(service.revoke('nope', undefined, web)).resolves.toBeUndefined();
    expect(store.grants.size).toBe(3);
  });
});
