import { randomUUID } from 'node:crypto';
import type { DistributedCache } from '../../src/caching/distributed-cache';
import { InMemoryDistributedCache } from '../../src/caching/in-memory-distributed-cache';
import { RedisDistributedCache } from '../../src/caching/redis-distributed-cache';
import { DependencyUnavailableError } from '../../src/common/dependency-unavailable';
import { FakeClock } from '../support/fakes/fake-clock';
import { waitFor } from '../support/free-port';
import { startPrivateRedis } from '../support/private-redis';

interface CacheUnderTest {
  readonly cache: DistributedCache;
  /** lets `ms` pass as the implementation's expiry sees time */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const implementations: Array<[string, () => Promise<CacheUnderTest>]> = [
  ['InMemoryDistributedCache', async () => {
    // Expiry is decided on the injected Clock: a fake one moves time without waiting.
    const clock = new FakeClock();
    const cache = new InMemoryDistributedCache(clock);
    return { cache, elapse: async (ms) => clock.advance(ms), close: async () => cache.onModuleDestroy() };
  }],
];
const redisUrl = process.env.TEST_REDIS_URL;
if (redisUrl) {
  implementations.push(['RedisDistributedCache (real Redis)', async () => {
    const cache = await RedisDistributedCache.connect(redisUrl, `cache-contract-${randomUUID()}`).open();
    // Redis expires keys (PX) on the server's own clock, which no fake clock reaches: real time
    // has to pass here (0.45 s for the whole contract).
    return { cache, elapse: sleep, close: () => cache.onModuleDestroy() };
  }]);
} else {
  it.skip('RedisDistributedCache contract: TEST_REDIS_URL unset', () => undefined);
}

/** The DistributedCache contract, run against every implementation. */
describe.each(implementations)('%s', (_name, create) => {
  let subject: CacheUnderTest;
  let cache: DistributedCache;
  beforeEach(async () => { subject = await create(); cache = subject.cache; });
  afterEach(() => subject.close());

  it('set then get, should return the value until the TTL passes', async () => {
    await cache.set('a', 'value', 150);
    expect(await cache.get('a')).toBe('value');
    await subject.elapse(250);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('addIfAbsent, when raced, should let exactly one caller win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.addIfAbsent('jti', '1', 5000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('addIfAbsent, after the entry expired, should succeed again', async () => {
    expect(await cache.addIfAbsent('k', '1', 100)).toBe(true);
    await subject.elapse(200);
    expect(await cache.addIfAbsent('k', '1', 100)).toBe(true);
  });

  it('take, should return the value once; delete should remove it', async () => {
    await cache.set('t', 'once', 5000);
    expect(await cache.take('t')).toBe('once');
    expect(await cache.take('t')).toBeUndefined();
    await cache.set('d', 'x', 5000);
    await cache.delete('d');
    expect(await cache.get('d')).toBeUndefined();
  });
});

describe('RedisDistributedCache, when Redis is unreachable', () => {
  it('every operation should reject with DependencyUnavailableError(redis) (callers fail closed) instead of hanging or succeeding', async () => {
    const cache = await RedisDistributedCache.connect('redis://127.0.0.1:1', 'unreachable').open();
    try {
      const started = Date.now();
      for (const operation of [
        () => cache.addIfAbsent('k', '1', 1000), () => cache.get('k'), () => cache.set('k', '1', 1000), () => cache.take('k'), () => cache.delete('k'),
      ]) {
        await expect(operation()).rejects.toMatchObject({ name: 'DependencyUnavailableError', dependency: 'redis' });
      }
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await cache.onModuleDestroy();
    }
  });

  it('stopped and started again (a private redis-server), should reject while down and work again without reconnecting by hand', async () => {
    const redis = await startPrivateRedis();
    const cache = await RedisDistributedCache.connect(redis.url, 'restart').open();
    try {
      expect(await cache.addIfAbsent('k', '1', 60_000)).toBe(true);
      await redis.stop();
      await expect(cache.addIfAbsent('k2', '1', 60_000)).rejects.toBeInstanceOf(DependencyUnavailableError);
      await redis.start();
      await waitFor('the cache to reconnect', async () => (await cache.addIfAbsent('k2', '1', 60_000)) === true, 10_000, 100);
      expect(await cache.addIfAbsent('k2', '1', 60_000)).toBe(false);
    } finally {
      await cache.onModuleDestroy();
      await redis.destroy();
    }
  });
});
