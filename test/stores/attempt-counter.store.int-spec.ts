import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../../src/common/dependency-failure';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';
import { RedisDistributedCache } from '../../src/caching/redis-distributed-cache';
import { AttemptCounterStore, CacheAttemptCounterStore } from '../../src/stores/attempt-counter.store';
import { AttemptLimit } from '../../src/stores/attempt-limit';
import { AttemptCounterEntity, OPERATIONAL_STORE_ENTITIES, TypeOrmAttemptCounterStore } from '../../src/stores/typeorm';
import { FakeClock } from '../support/fakes/fake-clock';
import { waitFor } from '../support/free-port';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { STORE_DATABASES } from '../support/store-databases';

interface CountersUnderTest {
  readonly counters: AttemptCounterStore;
  /** lets `ms` pass as the implementation's windows see time */
  elapse(ms: number): Promise<void>;
  /** every stored counter key (the databases' rows), or undefined where the store cannot list them */
  keys(): Promise<string[] | undefined>;
  /** whether the counter `key` is stored */
  exists(key: string): Promise<boolean>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const implementations: Array<[string, () => Promise<CountersUnderTest>]> = STORE_DATABASES
  .filter((database) => database.skipReason === undefined)
  .map((database) => [`TypeOrmAttemptCounterStore on ${database.name}`, async () => {
    const opened = await database.open();
    const repository = opened.dataSource.getRepository(AttemptCounterEntity);
    // Windows are measured on the injected Clock: a fake one moves time without waiting.
    const clock = new FakeClock();
    return {
      counters: new TypeOrmAttemptCounterStore(repository, clock),
      elapse: async (ms) => clock.advance(ms),
      keys: async () => (await repository.find()).map((row) => row.key),
      exists: async (key) => (await repository.countBy({ key })) > 0,
      close: () => opened.close(),
    };
  }]);
for (const skipped of STORE_DATABASES.filter((database) => database.skipReason !== undefined)) {
  it.skip(`TypeOrmAttemptCounterStore on ${skipped.name}: ${skipped.skipReason}`, () => undefined);
}
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl) {
  implementations.push(['CacheAttemptCounterStore (real Redis)', async () => {
    const cache = await RedisDistributedCache.connect(redisUrl, `attempt-counters-${randomUUID()}`).open();
    // Redis expires keys on its own clock: real time has to pass (under a second for the suite).
    return { counters: new CacheAttemptCounterStore(cache), elapse: sleep, keys: async () => undefined, exists: async (key) => (await cache.get(key)) !== undefined, close: () => cache.onModuleDestroy() };
  }]);
} else {
  it.skip('CacheAttemptCounterStore on Redis: TEST_REDIS_URL unset', () => undefined);
}

/** The AttemptCounterStore contract (one atomic count each, fixed windows), on every implementation. */
describe.each(implementations)('%s', (_name, create) => {
  let subject: CountersUnderTest;
  let counters: AttemptCounterStore;
  beforeEach(async () => { subject = await create(); counters = subject.counters; });
  afterEach(() => subject.close());

  it('increment, when raced, should give every caller its own count, and a count given back lowers it', async () => {
    const counts = await Promise.all(Array.from({ length: 50 }, () => counters.increment('attempts:race', 5000)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await counters.increment('attempts:race', 5000, -1)).toBe(49);
    expect(await counters.increment('attempts:other', 5000)).toBe(1);
  });

  it('increment, should keep the first window end (a fixed window), then start again from 1', async () => {
    expect(await counters.increment('attempts:window', 200)).toBe(1);
    await subject.elapse(120);
    expect(await counters.increment('attempts:window', 200)).toBe(2); // does not extend the window
    await subject.elapse(120);
    expect(await counters.increment('attempts:window', 200)).toBe(1);
    await subject.elapse(250);
    // Giving a count back after the window ended opens no extra attempt in the next one.
    expect(await counters.increment('attempts:window', 200, -1)).toBe(0);
    expect(await counters.increment('attempts:window', 200)).toBe(1);
  });

  it('increment with a negative count, on a counter that does not exist, should create none', async () => {
    expect(await counters.increment('attempts:never', 5000, -1)).toBe(0);
    expect(await subject.exists('attempts:never')).toBe(false);
    expect(await counters.increment('attempts:never', 5000)).toBe(1);
  });

  it('AttemptLimit over it, should allow exactly `max` of parallel attempts and store no counted value in clear', async () => {
    const limit = new AttemptLimit(counters, { name: 'login:user', max: 5, windowMs: 60_000 });
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => limit.reserve('alice@example.com')));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(5);
    const keys = await subject.keys();
    if (keys) {
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^attempts:login:user:[A-Za-z0-9_-]{43}$/);
    }
  });
});

describe.each(implementations.filter(([name]) => name.startsWith('TypeOrm')))('%s, removeExpired', (_name, create) => {
  it('should remove only the counters whose window ended, in batches', async () => {
    const subject = await create();
    try {
      await subject.counters.increment('attempts:short-1', 100);
      await subject.counters.increment('attempts:short-2', 100);
      await subject.counters.increment('attempts:long', 60_000);
      await subject.elapse(500);
      // The fake clock started at 2030-01-01; cleanup is given an instant relative to it.
      const now = new Date(new Date('2030-01-01T00:00:00Z').getTime() + 500);
      expect(await subject.counters.removeExpired(now, 1)).toBe(1);
      expect(await subject.counters.removeExpired(now, 10)).toBe(1);
      expect((await subject.keys())?.sort()).toEqual(['attempts:long']);
    } finally {
      await subject.close();
    }
  });
});

/**
 * A database outage: a count that cannot be taken fails as "database unavailable" (the login and
 * device pages answer 503, never evaluate the attempt uncounted), and counting resumes once the
 * database is back, without reopening anything.
 */
const outage = process.env.TEST_DATABASE_URL ? describe : describe.skip;
outage('TypeOrmAttemptCounterStore, database stopped', () => {
  let postgres: PrivatePostgres;
  let dataSource: DataSource;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    dataSource = await new DataSource({ ...dataSourceOptionsFor(postgres.url), entities: OPERATIONAL_STORE_ENTITIES }).initialize();
    await runPendingMigrations(dataSource);
  }, 60_000);
  afterAll(async () => {
    await dataSource?.destroy();
    await postgres?.destroy();
  });

  it('should fail as the database being unavailable, and count again once it is back', async () => {
    const counters = new TypeOrmAttemptCounterStore(dataSource.getRepository(AttemptCounterEntity), new FakeClock());
    expect(await counters.increment('attempts:outage', 60_000)).toBe(1);
    await postgres.stop();
    const failure = await counters.increment('attempts:outage', 60_000).then(() => undefined, (error: unknown) => error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    await postgres.start();
    await waitFor('a count after the restart', () => counters.increment('attempts:outage', 60_000).then(() => true, () => false), 20_000);
    expect(await counters.increment('attempts:outage', 60_000)).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
