import { randomUUID } from 'node:crypto';
import type { PersistedGrant } from '../../src/stores/models';
import type { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { FakeClock } from '../support/fakes/fake-clock';
import { describeEachOperationalStore, type OpenedOperationalStores } from '../support/store-databases';

const NOW = new Date('2026-03-01T12:00:00.123Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function aGrant(overrides: Partial<PersistedGrant> = {}): PersistedGrant {
  return {
    key: `key-${randomUUID()}`,
    type: 'refresh_token',
    subjectId: 'alice',
    sessionId: 'session-1',
    clientId: 'web',
    description: 'laptop',
    familyId: 'family-1',
    creationTime: minutes(-5),
    expiration: minutes(60),
    data: 'protected-payload',
    ...overrides,
  };
}

describeEachOperationalStore('PersistedGrantStore', (backend) => {
  let opened: OpenedOperationalStores;
  let store: PersistedGrantStore;

  beforeAll(async () => {
    opened = await backend.open(new FakeClock(NOW));
    store = opened.persistedGrants;
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.clear();
  });

  const keysOf = (grants: readonly PersistedGrant[]) => grants.map((g) => g.key).sort();

  describe('store and get', () => {
    it('get, when the grant was stored with every field, should return it unchanged', async () => {
      const grant = aGrant({ consumedTime: minutes(-1) });
      await store.store(grant);
      expect(await store.get(grant.key)).toEqual(grant);
    });

    it('get, when optional fields were absent, should return them absent (not null)', async () => {
      const grant: PersistedGrant = { key: 'k-minimal', type: 'user_consent', clientId: 'web', creationTime: NOW, data: 'd' };
      await store.store(grant);
      const loaded = await store.get('k-minimal');
      expect(loaded).toEqual(grant);
      expect(loaded && Object.keys(loaded).sort()).toEqual(['clientId', 'creationTime', 'data', 'key', 'type']);
    });

    it('get, when the key is unknown, should return undefined', async () => {
      expect(await store.get('nope')).toBeUndefined();
    });

    it('store, when the key exists, should replace the grant', async () => {
      const grant = aGrant();
      await store.store(grant);
      const replacement = { ...grant, data: 'new-payload', expiration: minutes(120), consumedTime: NOW };
      await store.store(replacement);
      expect(await store.get(grant.key)).toEqual(replacement);
      expect(await opened.count('grants')).toBe(1);
    });

    it('store, when dates carry milliseconds, should keep them exactly', async () => {
      const grant = aGrant({ creationTime: new Date('2026-03-01T12:00:00.999Z'), expiration: new Date('2030-12-31T23:59:59.001Z') });
      await store.store(grant);
      const loaded = await store.get(grant.key);
      expect(loaded?.creationTime.toISOString()).toBe('2026-03-01T12:00:00.999Z');
      expect(loaded?.expiration?.toISOString()).toBe('2030-12-31T23:59:59.001Z');
    });
  });

  describe('getAll and removeAll', () => {
    let aliceWebRefresh: PersistedGrant;
    let aliceWebConsent: PersistedGrant;
    let aliceMobileRefresh: PersistedGrant;
    let bobWebRefresh: PersistedGrant;

    beforeEach(async () => {
      aliceWebRefresh = aGrant({ subjectId: 'alice', clientId: 'web', type: 'refresh_token', sessionId: 's1' });
      aliceWebConsent = aGrant({ subjectId: 'alice', clientId: 'web', type: 'user_consent', sessionId: undefined });
      aliceMobileRefresh = aGrant({ subjectId: 'alice', clientId: 'mobile', type: 'refresh_token', sessionId: 's2' });
      bobWebRefresh = aGrant({ subjectId: 'bob', clientId: 'web', type: 'refresh_token', sessionId: 's3' });
      for (const g of [aliceWebRefresh, aliceWebConsent, aliceMobileRefresh, bobWebRefresh]) await store.store(g);
    });

    it('getAll, when filtering by subject, should return only that subject\'s grants', async () => {
      expect(keysOf(await store.getAll({ subjectId: 'alice' })))
        .toEqual(keysOf([aliceWebRefresh, aliceWebConsent, aliceMobileRefresh]));
    });

    it('getAll, when filtering by subject, client and type, should apply all three', async () => {
      expect(keysOf(await store.getAll({ subjectId: 'alice', clientId: 'web', type: 'refresh_token' })))
        .toEqual([aliceWebRefresh.key]);
    });

    it('getAll, when filtering by session id, should return that session\'s grants', async () => {
      expect(keysOf(await store.getAll({ sessionId: 's2' }))).toEqual([aliceMobileRefresh.key]);
    });

    it('getAll, when filtering by client or type alone, should match across subjects', async () => {
      expect(keysOf(await store.getAll({ clientId: 'web' }))).toEqual(keysOf([aliceWebRefresh, aliceWebConsent, bobWebRefresh]));
      expect(keysOf(await store.getAll({ type: 'user_consent' }))).toEqual([aliceWebConsent.key]);
    });

    it('getAll and removeAll, when filtering by family id, should match that refresh-token family only', async () => {
      const sibling = aGrant({ familyId: 'family-2' });
      const marker = aGrant({ type: 'refresh_token_family_revocation', familyId: 'family-2', data: '' });
      await store.store(sibling);
      await store.store(marker);
      expect(keysOf(await store.getAll({ familyId: 'family-2' }))).toEqual(keysOf([sibling, marker]));
      expect(keysOf(await store.getAll({ familyId: 'family-2', type: 'refresh_token' }))).toEqual([sibling.key]);
      await store.removeAll({ familyId: 'family-2', type: 'refresh_token' });
      expect(keysOf(await store.getAll({ familyId: 'family-2' }))).toEqual([marker.key]);
      expect(await store.get(aliceWebRefresh.key)).toBeDefined();
    });

    it('getAll, when nothing matches, should return an empty list', async () => {
      expect(await store.getAll({ subjectId: 'carol' })).toEqual([]);
    });

    it('getAll, when the filter is empty, should refuse instead of returning every grant', async () => {
      await expect(store.getAll({})).rejects.toThrow(/at least one/);
    });

    it('removeAll, when filtering by subject and client, should remove only those grants', async () => {
      await store.removeAll({ subjectId: 'alice', clientId: 'web' });
      expect(await store.get(aliceWebRefresh.key)).toBeUndefined();
      expect(await store.get(aliceWebConsent.key)).toBeUndefined();
      expect(await store.get(aliceMobileRefresh.key)).toBeDefined();
      expect(await store.get(bobWebRefresh.key)).toBeDefined();
    });

    it('removeAll, when filtering by session, should remove only that session\'s grants', async () => {
      await store.removeAll({ sessionId: 's1' });
      expect(keysOf(await store.getAll({ clientId: 'web' }))).toEqual(keysOf([aliceWebConsent, bobWebRefresh]));
    });

    it('removeAll, when the filter is empty, should refuse and delete nothing', async () => {
      await expect(store.removeAll({})).rejects.toThrow(/at least one/);
      expect(await opened.count('grants')).toBe(4);
    });

    it('remove, when given a key, should delete that grant only', async () => {
      await store.remove(aliceWebRefresh.key);
      expect(await store.get(aliceWebRefresh.key)).toBeUndefined();
      expect(await opened.count('grants')).toBe(3);
      await expect(store.remove('unknown')).resolves.toBeUndefined();
    });
  });

  describe('consume', () => {
    it('consume, when the grant is unconsumed, should return true and record the time', async () => {
      const grant = aGrant();
      await store.store(grant);
      expect(await store.consume(grant.key, NOW)).toBe(true);
      expect((await store.get(grant.key))?.consumedTime?.toISOString()).toBe(NOW.toISOString());
    });

    it('consume, when already consumed, should return false and keep the first time', async () => {
      const grant = aGrant();
      await store.store(grant);
      await store.consume(grant.key, NOW);
      expect(await store.consume(grant.key, minutes(1))).toBe(false);
      expect((await store.get(grant.key))?.consumedTime?.toISOString()).toBe(NOW.toISOString());
    });

    it('consume, when the key is unknown, should return false', async () => {
      expect(await store.consume('unknown', NOW)).toBe(false);
    });

    it('consume, when several callers race for one grant, should let exactly one win', async () => {
      const grant = aGrant({ type: 'authorization_code' });
      await store.store(grant);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.consume(grant.key, minutes(i))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.get(grant.key))?.consumedTime?.toISOString()).toBe(minutes(winner).toISOString());
    });

    it('consume with data, when several callers race, should keep the one winner\'s time and data together', async () => {
      const grant = aGrant({ type: 'refresh_token' });
      await store.store(grant);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.consume(grant.key, minutes(i), `record-${i}`)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.get(grant.key)).toMatchObject({ consumedTime: minutes(winner), data: `record-${winner}` });
    });

    it('consume without data, should keep the stored data', async () => {
      const grant = aGrant();
      await store.store(grant);
      await store.consume(grant.key, NOW);
      expect((await store.get(grant.key))?.data).toBe(grant.data);
    });

    it('consume, when two grants are consumed at once, should not affect each other', async () => {
      const [a, b] = [aGrant(), aGrant()];
      await store.store(a);
      await store.store(b);
      expect(await Promise.all([store.consume(a.key, NOW), store.consume(b.key, NOW)])).toEqual([true, true]);
    });
  });

  // Redis deletes expired grants itself (redis-operational-store.int-spec.ts pins the expiry).
  (backend.name === 'Redis' ? describe.skip : describe)('removeExpired (database)', () => {
    it('removeExpired, when more grants expired than the batch size, should remove one batch per call', async () => {
      const expired = Array.from({ length: 5 }, (_, i) => aGrant({ expiration: minutes(-10 - i) }));
      const live = [aGrant({ expiration: minutes(10) }), aGrant({ expiration: NOW }), aGrant({ expiration: undefined })];
      for (const g of [...expired, ...live]) await store.store(g);

      expect(await store.removeExpired(NOW, 3)).toBe(3);
      expect(await store.removeExpired(NOW, 3)).toBe(2);
      expect(await store.removeExpired(NOW, 3)).toBe(0);
      for (const g of expired) expect(await store.get(g.key)).toBeUndefined();
      // expiring exactly now, later, or never: all still there
      for (const g of live) expect(await store.get(g.key)).toEqual(g);
    });

    it('removeExpired, when a grant is consumed but not expired, should keep it (reuse detection needs it)', async () => {
      const consumed = aGrant({ consumedTime: minutes(-30), expiration: minutes(30) });
      await store.store(consumed);
      expect(await store.removeExpired(NOW, 10)).toBe(0);
      expect(await store.get(consumed.key)).toEqual(consumed);
    });

    it('removeExpired, when several cleanups run at once, should remove each expired grant once', async () => {
      const expired = Array.from({ length: 12 }, (_, i) => aGrant({ expiration: minutes(-1 - i) }));
      const live = aGrant({ expiration: minutes(5) });
      for (const g of [...expired, live]) await store.store(g);

      const removed = await Promise.all([store.removeExpired(NOW, 4), store.removeExpired(NOW, 4), store.removeExpired(NOW, 4)]);
      // each call takes its own rows (PostgreSQL: SKIP LOCKED), so three batches of 4 clear all 12
      expect(removed).toEqual([4, 4, 4]);
      expect(await opened.count('grants')).toBe(1);
      expect(await store.get(live.key)).toEqual(live);
    });

    it('removeExpired, when the batch size is zero, should remove nothing', async () => {
      await store.store(aGrant({ expiration: minutes(-1) }));
      expect(await store.removeExpired(NOW, 0)).toBe(0);
    });
  });
});
