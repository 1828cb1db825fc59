import { Logger } from '@nestjs/common';
import { AddPersistedGrantFamilyId1795420000300 } from '../../migrations/1795420000300-add-persisted-grant-family-id';
import type { Client, PersistedGrant } from '../../src/stores/models';
import type { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { FAMILY_REVOCATION_CLOCK_MARGIN_MS, RefreshTokenService } from '../../src/token-issuance/refresh-token.service';
import { FakeClock, FakeDataProtectionProvider } from '../support/fakes/key-management.fakes';
import { allSchedules, InterleavedPersistedGrantStore, Interleaving } from '../support/fakes/persisted-grant.fakes';
import { describeEachOperationalStore, type OpenedOperationalStores } from '../support/store-databases';

const T0 = new Date('2030-01-01T00:00:00Z');
const DAY_MS = 86_400_000;
const client = {
  clientId: 'tv', allowOfflineAccess: true, refreshTokenUsage: 'oneTime', refreshTokenExpiration: 'absolute',
  absoluteRefreshTokenLifetime: 30 * 86_400, slidingRefreshTokenLifetime: 15 * 86_400,
} as Client;

/**
 * RFC 9700 §4.14.2 / docs/endpoints.md through the real persisted-grant store: a reused refresh token
 * revokes its whole family, whatever the interleaving of a refresh race on the database.
 */
describeEachOperationalStore('refresh-token family revocation', (backend) => {
  // Hundreds of detected reuses on purpose: their warnings would bury the run's output.
  beforeAll(() => Logger.overrideLogger(['error']));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));
  let opened: OpenedOperationalStores;
  let store: PersistedGrantStore;
  /** the clock every test's services use: the Redis store measures time to live against it */
  let storeClock: FakeClock;
  const databaseOnly = backend.name === 'Redis' ? it.skip : it;

  beforeAll(async () => {
    storeClock = new FakeClock(T0);
    opened = await backend.open(storeClock);
    store = opened.persistedGrants;
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.clear();
  });

  it('a race of two requests with one token, in every order of their store calls, should leave no member of the family stored or usable', async () => {
    const dataProtection = new FakeDataProtectionProvider();
    const clock = new FakeClock(T0);
    const setup = new RefreshTokenService(store, dataProtection, clock);
    const failures: unknown[] = [];
    const schedules = allSchedules(['A', 5], ['B', 5]);
    for (const schedule of schedules) {
      const handle = await setup.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });
      const presented = await setup.find(handle);
      if (!presented) throw new Error('the new refresh token should be found');

      const interleaving = new Interleaving(schedule);
      const racing = new RefreshTokenService(new InterleavedPersistedGrantStore(store, interleaving), dataProtection, clock);
      const outcomes = await Promise.all(['A', 'B'].map((actor) => interleaving.run(actor, () => racing.rotateOneTime(presented, client))));

      const handles = [handle, ...outcomes.flatMap((outcome) => (outcome.outcome === 'rotated' ? [outcome.handle] : []))];
      const usable = (await Promise.all(handles.map((h) => setup.find(h)))).filter((found) => found !== undefined);
      const members = await store.getAll({ familyId: presented.payload.familyId, type: 'refresh_token' });
      if (usable.length > 0 || members.length > 0) failures.push({ trace: interleaving.trace.join(' '), usable: usable.length, members: members.length });
    }
    expect(schedules).toHaveLength(252);
    expect(failures).toEqual([]);
  }, 180_000); // 252 races, one after another: about 8 s on an idle machine

  it('a store failing while rotating (a database restart), should leave the presented token usable for the retry, with no extra member', async () => {
    const clock = new FakeClock(T0);
    const dataProtection = new FakeDataProtectionProvider();
    const service = new RefreshTokenService(store, dataProtection, clock);
    const handle = await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] });
    const presented = await service.find(handle);
    if (!presented) throw new Error('the new refresh token should be found');

    // The connection drops at either step: storing the successor, or spending the presented token.
    for (const step of ['store', 'consume'] as const) {
      const failing = Object.assign(Object.create(store) as PersistedGrantStore, {
        [step]: () => Promise.reject(new Error('Connection terminated unexpectedly')),
      });
      await expect(new RefreshTokenService(failing, dataProtection, clock).rotateOneTime(presented, client)).rejects.toThrow('Connection terminated');
      expect(await store.getAll({ familyId: presented.payload.familyId, type: 'refresh_token' })).toHaveLength(1);
      expect((await service.find(handle))?.grant.consumedTime).toBeUndefined();
    }

    expect(await service.rotateOneTime((await service.find(handle))!, client)).toMatchObject({ outcome: 'rotated' });
  });

  describe('refreshTokenReuseInterval', () => {
    const graceClient = { ...client, refreshTokenReuseInterval: 10 } as Client;

    it('parallel rotations of one token within the interval, should all answer the same successor, which stays usable', async () => {
      const clock = new FakeClock(T0);
      const service = new RefreshTokenService(store, new FakeDataProtectionProvider(), clock);
      const handle = await service.createRefreshToken({ client: graceClient, subjectId: '1', scopes: ['offline_access'] });
      const presented = await service.find(handle);
      if (!presented) throw new Error('the new refresh token should be found');

      const outcomes = await Promise.all(Array.from({ length: 8 }, () => service.rotateOneTime(presented, graceClient)));
      const successors = new Set(outcomes.map((outcome) => (outcome.outcome === 'rotated' ? outcome.handle : outcome.outcome)));
      expect(successors.size).toBe(1);
      const [successor] = [...successors];
      expect(successor).not.toBe(handle);
      expect((await service.find(successor))?.grant.consumedTime).toBeUndefined();
      // The spent token and its one successor: the losers' own successors were withdrawn.
      expect(await store.getAll({ familyId: presented.payload.familyId, type: 'refresh_token' })).toHaveLength(2);
      // The successor is recorded protected, never in clear.
      const spent = await store.get(presented.grant.key);
      expect(JSON.stringify(spent)).not.toContain(successor);
    });

    it('a race of two requests within the interval, in every order of their store calls, should give both the same usable successor', async () => {
      const dataProtection = new FakeDataProtectionProvider();
      const clock = new FakeClock(T0);
      const setup = new RefreshTokenService(store, dataProtection, clock);
      const failures: unknown[] = [];
      // Every order on SQLite; on the slower network stores every ninth (the suite stays short).
      const schedules = allSchedules(['A', 5], ['B', 5]).filter((_, i) => backend.name.startsWith('SQLite') || i % 9 === 0);
      for (const schedule of schedules) {
        const presented = await setup.find(await setup.createRefreshToken({ client: graceClient, subjectId: '1', scopes: ['offline_access'] }));
        if (!presented) throw new Error('the new refresh token should be found');
        const interleaving = new Interleaving(schedule);
        const racing = new RefreshTokenService(new InterleavedPersistedGrantStore(store, interleaving), dataProtection, clock);
        const outcomes = await Promise.all(['A', 'B'].map((actor) => interleaving.run(actor, () => racing.rotateOneTime(presented, graceClient))));
        const handles = outcomes.map((outcome) => (outcome.outcome === 'rotated' ? outcome.handle : outcome.outcome));
        const usable = handles[0] === handles[1] && (await setup.find(handles[0])) !== undefined;
        if (!usable) failures.push({ trace: interleaving.trace.join(' '), handles });
      }
      expect(failures).toEqual([]);
    });

    it('reuse after the interval (fake clock), should revoke the family: the successor just issued is refused', async () => {
      const clock = new FakeClock(T0);
      const service = new RefreshTokenService(store, new FakeDataProtectionProvider(), clock);
      const presented = await service.find(await service.createRefreshToken({ client: graceClient, subjectId: '1', scopes: ['offline_access'] }));
      if (!presented) throw new Error('the new refresh token should be found');
      const first = await service.rotateOneTime(presented, graceClient);
      if (first.outcome !== 'rotated') throw new Error('the first rotation should succeed');

      clock.advance(10_000);
      expect(await service.rotateOneTime(presented, graceClient)).toEqual({ outcome: 'reused' });
      expect(await service.find(first.handle)).toBeUndefined();
      expect(await store.getAll({ familyId: presented.payload.familyId, type: 'refresh_token' })).toEqual([]);
    });
  });

  it('revokeFamily, should store a marker by family id that cleanup removes only once the family could no longer be valid', async () => {
    const clock = new FakeClock(T0);
    const service = new RefreshTokenService(store, new FakeDataProtectionProvider(), clock);
    const presented = await service.find(await service.createRefreshToken({ client, subjectId: '1', scopes: ['offline_access'] }));
    if (!presented) throw new Error('the new refresh token should be found');
    expect(presented.grant.familyId).toBe(presented.payload.familyId);

    clock.advance(DAY_MS);
    expect(await service.revokeFamily(presented, client)).toBe(1);
    const [marker] = await store.getAll({ familyId: presented.payload.familyId });
    const lifetimeEnd = T0.getTime() + 30 * DAY_MS + FAMILY_REVOCATION_CLOCK_MARGIN_MS;
    expect(marker).toMatchObject({ type: 'refresh_token_family_revocation', clientId: 'tv', subjectId: '1', expiration: new Date(lifetimeEnd) });

    if (opened.redis) {
      // Redis removes the marker itself, exactly when the family's lifetime ends.
      const ttl = await opened.redis.redis.pttl(`${opened.redis.prefix}grant:${marker.key}`);
      expect(Math.abs(ttl - (lifetimeEnd - storeClock.now().getTime()))).toBeLessThan(2_000);
      return;
    }
    expect(await store.removeExpired(new Date(lifetimeEnd - 1), 100)).toBe(0);
    expect(await store.removeExpired(new Date(lifetimeEnd + 1), 100)).toBe(1);
    expect(await store.getAll({ familyId: presented.payload.familyId })).toEqual([]);
  });

  databaseOnly('migration 1795420000300, should move existing families from description to family_id, and back down', async () => {
    const migration = new AddPersistedGrantFamilyId1795420000300();
    const dataSource = opened.dataSource!;
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      const legacy = (key: string, type: string, description: string) => runner.query(
        'INSERT INTO persisted_grants (key, type, client_id, description, creation_time, data) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP, $5)'
          .replace(/\$\d/g, (p) => (dataSource.options.type === 'postgres' ? p : '?')),
        [key, type, 'tv', description, 'protected'],
      );
      await legacy('refresh-1', 'refresh_token', 'family-1');
      await legacy('consent-1', 'user_consent', 'kept as it was');
      await migration.up(runner);

      const byKey = async (key: string): Promise<PersistedGrant | undefined> => store.get(key);
      expect(await byKey('refresh-1')).toMatchObject({ familyId: 'family-1' });
      expect((await byKey('refresh-1'))?.description).toBeUndefined();
      expect(await byKey('consent-1')).toMatchObject({ description: 'kept as it was' });
      expect((await byKey('consent-1'))?.familyId).toBeUndefined();
    } finally {
      await runner.release();
    }
  });
});
