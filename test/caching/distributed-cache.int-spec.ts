import { randomUUID } from 'node:crypto';
import type { DistributedCache } from '../../src/caching/distributed-cache';
import { InMemoryDistributedCache } from '../../src/caching/in-memory-distributed-cache';
import { RedisDistributedCache } from '../../src/caching/redis-distributed-cache';
import { FakeClock } from '../support/fakes/fake-clock';

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
  it('addIfAbsent should reject (callers fail closed) instead of hanging or succeeding', async () => {
    const cache = await RedisDistributedCache.connect('redis://127.0.0.1:1', 'unreachable').open();
    await expect(cache.addIfAbsent('k', '1', 1000)).rejects.toThrow();
    await cache.onModuleDestroy();
  });
});
