import { randomUUID } from 'node:crypto';
import type { DeviceCodeRecord, PersistedGrant, ServerSideSession } from '../../src/stores/models';
import { DEVICE_CODE_EXPIRED_GRACE_MS } from '../../src/stores/redis';
import { FakeClock } from '../support/fakes/fake-clock';
import { OPERATIONAL_STORE_BACKENDS, type OpenedOperationalStores } from '../support/store-databases';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);
const redisBackend = OPERATIONAL_STORE_BACKENDS.find((backend) => backend.name === 'Redis');
const describeRedis = redisBackend?.skipReason === undefined ? describe : describe.skip;

function aGrant(overrides: Partial<PersistedGrant> = {}): PersistedGrant {
  return {
    key: `key-${randomUUID()}`, type: 'refresh_token', subjectId: 'alice', sessionId: 's1', clientId: 'web',
    familyId: 'family-1', creationTime: NOW, expiration: minutes(60), data: 'protected-payload', ...overrides,
  };
}

const keysOf = (grants: readonly PersistedGrant[]) => grants.map((g) => g.key).sort();

/** What only the Redis operational store does: keys that expire with their items, and atomic consumption. */
describeRedis(`Redis operational store${redisBackend?.skipReason ? ` (skipped: ${redisBackend.skipReason})` : ''}`, () => {
  let opened: OpenedOperationalStores;
  let clock: FakeClock;
  const pttl = (key: string) => opened.redis!.redis.pttl(`${opened.redis!.prefix}${key}`);
  const expectTtlAbout = (ttl: number, expectedMs: number) => {
    // the command runs a few ms after the store computed the time to live
    expect(ttl).toBeLessThanOrEqual(expectedMs);
    expect(ttl).toBeGreaterThan(expectedMs - 2_000);
  };

  beforeAll(async () => {
    clock = new FakeClock(NOW);
    opened = await redisBackend!.open(clock);
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.clear();
  });

  it('store, when the grant expires, should give its key and lookup sets that time to live; without expiration, none', async () => {
    const expiring = aGrant({ expiration: minutes(60) });
    const forever = aGrant({ type: 'user_consent', expiration: undefined, familyId: undefined, subjectId: 'bob', sessionId: undefined });
    await opened.persistedGrants.store(expiring);
    await opened.persistedGrants.store(forever);

    expectTtlAbout(await pttl(`grant:${expiring.key}`), 60 * 60_000);
    expectTtlAbout(await pttl('grants-by-subjectId:alice'), 60 * 60_000);
    expectTtlAbout(await pttl('grants-by-familyId:family-1'), 60 * 60_000);
    expect(await pttl(`grant:${forever.key}`)).toBe(-1);
    expect(await pttl('grants-by-subjectId:bob')).toBe(-1);
  });

  it('store, when a later grant joins a lookup set, should extend the set to the longest-lived member', async () => {
    await opened.persistedGrants.store(aGrant({ expiration: minutes(10) }));
    await opened.persistedGrants.store(aGrant({ expiration: minutes(90) }));
    await opened.persistedGrants.store(aGrant({ expiration: minutes(30) }));
    expectTtlAbout(await pttl('grants-by-subjectId:alice'), 90 * 60_000);
  });

  it('the stored hash, should hold only the hashed key, lookup metadata and the protected payload given', async () => {
    const grant = aGrant({ description: 'laptop' });
    await opened.persistedGrants.store(grant);
    const hash = await opened.redis!.redis.hgetall(`${opened.redis!.prefix}grant:${grant.key}`);
    expect(Object.keys(hash).sort()).toEqual(['clientId', 'creationTime', 'data', 'description', 'expiration', 'familyId', 'key', 'sessionId', 'subjectId', 'type']);
    expect(hash.data).toBe('protected-payload');
  });

  it('a grant, once its time to live is over, should be gone from get and lookups (stale set members skipped)', async () => {
    const shortLived = aGrant({ expiration: new Date(NOW.getTime() + 50) });
    const live = aGrant();
    await opened.persistedGrants.store(shortLived);
    await opened.persistedGrants.store(live);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await opened.persistedGrants.get(shortLived.key)).toBeUndefined();
    expect((await opened.persistedGrants.getAll({ subjectId: 'alice' })).map((g) => g.key)).toEqual([live.key]);
  });

  it('store, when members of a lookup set expired, should drop some of them on each write (a set that lives on does not pile up)', async () => {
    const longLived = aGrant({ subjectId: 'carol', expiration: minutes(60) }); // keeps the set alive
    await opened.persistedGrants.store(longLived);
    for (let i = 0; i < 20; i++) await opened.persistedGrants.store(aGrant({ subjectId: 'carol', expiration: new Date(NOW.getTime() + 300) }));
    const members = () => opened.redis!.redis.scard(`${opened.redis!.prefix}grants-by-subjectId:carol`);
    expect(await members()).toBe(21);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const live = aGrant({ subjectId: 'carol' });
    await opened.persistedGrants.store(live);
    // of the 8 members sampled at least 7 were stale and are gone; the new one is in
    expect(await members()).toBeLessThanOrEqual(21 - 7 + 1);
    expect(keysOf(await opened.persistedGrants.getAll({ subjectId: 'carol' }))).toEqual(keysOf([longLived, live]));
    expect(await members()).toBe(2);
  });

  it('device codes and sessions, should expire with their expiration too (device codes a grace later, to answer expired_token)', async () => {
    const record: DeviceCodeRecord = {
      deviceCodeHash: `hash-${randomUUID()}`, userCode: 'WXYZ-0001', clientId: 'tv', creationTime: NOW, expiration: minutes(5), data: 'd',
    };
    const session: ServerSideSession = {
      key: `session-${randomUUID()}`, scheme: 'idsrv', subjectId: 'alice', sessionId: 'sid-1', created: NOW, renewed: NOW, expires: minutes(20), data: 't',
    };
    await opened.deviceFlow.store(record);
    await opened.sessions.create(session);
    expectTtlAbout(await pttl(`device:${record.deviceCodeHash}`), 5 * 60_000 + DEVICE_CODE_EXPIRED_GRACE_MS);
    expectTtlAbout(await pttl('device-by-user-code:WXYZ-0001'), 5 * 60_000 + DEVICE_CODE_EXPIRED_GRACE_MS);
    expectTtlAbout(await pttl(`session:${session.key}`), 20 * 60_000);

    // renewal moves the session's expiry
    clock.advance(10 * 60_000);
    await opened.sessions.update({ ...session, renewed: clock.now(), expires: minutes(70) });
    expectTtlAbout(await pttl(`session:${session.key}`), 60 * 60_000);
    expect(await opened.sessions.removeExpired(clock.now(), 100)).toBe(0);
    clock.advance(-10 * 60_000);
  });

  it('a session written by an earlier version with its user name in clear, should lose that field when read', async () => {
    const session: ServerSideSession = {
      key: `session-${randomUUID()}`, scheme: 'idsrv', subjectId: 'alice', sessionId: 'sid-2', created: NOW, renewed: NOW, expires: minutes(20), data: 't',
    };
    await opened.sessions.create(session);
    const item = `${opened.redis!.prefix}session:${session.key}`;
    await opened.redis!.redis.hset(item, 'displayName', 'Alice Smith');
    expect(await opened.sessions.get(session.key)).toEqual(session);
    expect(await opened.redis!.redis.hexists(item, 'displayName')).toBe(0);
  });

  it('consume, when 50 callers race for one code, should let exactly one win and keep its time', async () => {
    const code = aGrant({ type: 'authorization_code' });
    await opened.persistedGrants.store(code);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => opened.persistedGrants.consume(code.key, minutes(i))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await opened.persistedGrants.get(code.key))?.consumedTime).toEqual(minutes(results.indexOf(true)));
    // consuming keeps the time to live: reuse detection finds the code until it expires
    expectTtlAbout(await pttl(`grant:${code.key}`), 60 * 60_000);
  });

  it('device store, when two requests race for one user code, should let exactly one have it', async () => {
    const record = (i: number): DeviceCodeRecord => ({
      deviceCodeHash: `hash-${i}-${randomUUID()}`, userCode: 'RACE-0001', clientId: 'tv', creationTime: NOW, expiration: minutes(5), data: `d${i}`,
    });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => opened.deviceFlow.store(record(i))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await opened.count('deviceCodes')).toBe(1);
  });

  it('consume, when the grant expired or never existed, should return false and create nothing', async () => {
    expect(await opened.persistedGrants.consume('gone', NOW)).toBe(false);
    expect(await opened.redis!.redis.exists(`${opened.redis!.prefix}grant:gone`)).toBe(0);
  });

  it('removeExpired, should be a no-op answering 0 (Redis expires the keys itself)', async () => {
    await opened.persistedGrants.store(aGrant());
    expect(await opened.persistedGrants.removeExpired(minutes(120), 100)).toBe(0);
    expect(await opened.count('grants')).toBe(1);
  });
});
