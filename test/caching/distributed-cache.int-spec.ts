import { randomUUID } from 'node:crypto';
import type { DistributedCache } from '../../src/caching/distributed-cache';
import { InMemoryDistributedCache } from '../../src/caching/in-memory-distributed-cache';
import { RedisDistributedCache } from '../../src/caching/redis-distributed-cache';
import { DependencyUnavailableError } from '../../src/common/dependency-unavailable';
import { FakeClock } from '../support/fakes/fake-clock';
import { waitFor } from '../support/free-port';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis';

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

  it('increment, when raced, should give every caller its own count', async () => {
    const counts = await Promise.all(Array.from({ length: 50 }, () => cache.increment('attempts', 5000)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await cache.increment('attempts', 5000, -1)).toBe(49);
  });

  it('increment, should keep the first expiry (a fixed window), then start again from 1', async () => {
    expect(await cache.increment('window', 200)).toBe(1);
    await subject.elapse(120);
    expect(await cache.increment('window', 200)).toBe(2); // does not extend the window
    await subject.elapse(120);
    expect(await cache.increment('window', 200)).toBe(1);
    await subject.elapse(250);
    // Giving a count back after the window ended opens no extra attempt in the next one.
    expect(await cache.increment('window', 200, -1)).toBe(0);
    expect(await cache.increment('window', 200)).toBe(1);
  });

  it('compareAndSet, should store only over the expected value (or absence), and of racers exactly one', async () => {
    expect(await cache.compareAndSet('state', 'something', 'v1', 5000)).toBe(false);
    expect(await cache.compareAndSet('state', undefined, 'v1', 5000)).toBe(true);
    expect(await cache.compareAndSet('state', undefined, 'v2', 5000)).toBe(false);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => cache.compareAndSet('state', 'v1', `w${i}`, 5000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await cache.get('state')).toBe(`w${results.indexOf(true)}`);
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

/** Collects the messages a subscriber receives and waits (bounded) for the next. */
function inbox() {
  const messages: string[] = [];
  const handler = (message: string) => { messages.push(message); };
  const waitFor = async (count: number, withinMs = 5000): Promise<string[]> => {
    const deadline = Date.now() + withinMs;
    while (messages.length < count && Date.now() < deadline) await sleep(10);
    return messages;
  };
  return { messages, handler, waitFor };
}

interface PubSubUnderTest {
  /** the instance that subscribes */
  readonly subscriber: DistributedCache;
  /** another instance of the same application (the same one for the in-process default) */
  readonly publisher: DistributedCache;
  close(): Promise<void>;
}

const pubSubImplementations: Array<[string, () => Promise<PubSubUnderTest>]> = [
  ['InMemoryDistributedCache', async () => {
    const cache = new InMemoryDistributedCache(new FakeClock());
    return { subscriber: cache, publisher: cache, close: async () => cache.onModuleDestroy() };
  }],
];
if (redisUrl) {
  pubSubImplementations.push(['RedisDistributedCache (real Redis, two instances)', async () => {
    const application = `pubsub-${randomUUID()}`;
    const subscriber = await RedisDistributedCache.connect(redisUrl, application).open();
    const publisher = await RedisDistributedCache.connect(redisUrl, application).open();
    return { subscriber, publisher, close: async () => { await subscriber.onModuleDestroy(); await publisher.onModuleDestroy(); } };
  }]);
}

/** The publish/subscribe contract: what key-set propagation (docs/deployment.md, "Signing keys") relies on. */
describe.each(pubSubImplementations)('%s publish/subscribe', (_name, create) => {
  let subject: PubSubUnderTest;
  beforeEach(async () => { subject = await create(); });
  afterEach(() => subject.close());

  it('publish, after subscribe, should deliver the message to the subscriber and count it', async () => {
    const received = inbox();
    await subject.subscriber.subscribe('keys-changed', received.handler);
    expect(await subject.publisher.publish('keys-changed', 'hello')).toBe(1);
    expect(await received.waitFor(1)).toEqual(['hello']);
  });

  it('publish, on another channel or after unsubscribe, should not reach the handler', async () => {
    const received = inbox();
    const unsubscribe = await subject.subscriber.subscribe('a', received.handler);
    await subject.publisher.publish('b', 'other channel');
    await unsubscribe();
    expect(await subject.publisher.publish('a', 'after unsubscribe')).toBe(0);
    await sleep(100);
    expect(received.messages).toEqual([]);
  });

  it('a handler that throws should not stop the other subscribers', async () => {
    const received = inbox();
    await subject.subscriber.subscribe('c', () => { throw new Error('subscriber bug'); });
    await subject.subscriber.subscribe('c', received.handler);
    await subject.publisher.publish('c', 'still delivered');
    expect(await received.waitFor(1)).toEqual(['still delivered']);
  });
});

if (redisUrl) {
  describe('RedisDistributedCache publish/subscribe isolation', () => {
    it('a message should reach only instances with the same application name', async () => {
      const mine = await RedisDistributedCache.connect(redisUrl, `app-${randomUUID()}`).open();
      const theirs = await RedisDistributedCache.connect(redisUrl, `app-${randomUUID()}`).open();
      try {
        const received = inbox();
        await theirs.subscribe('keys-changed', received.handler);
        expect(await mine.publish('keys-changed', 'not for them')).toBe(0);
        await sleep(100);
        expect(received.messages).toEqual([]);
      } finally {
        await mine.onModuleDestroy();
        await theirs.onModuleDestroy();
      }
    });
  });
}

describe('RedisDistributedCache publish/subscribe across a Redis outage (private redis-server)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => { redis = await startPrivateRedis(); });
  afterAll(() => redis?.destroy());

  it('should resubscribe after Redis comes back, report missed messages, and never throw meanwhile', async () => {
    const subscriber = await RedisDistributedCache.connect(redis.url, 'outage').open();
    const publisher = await RedisDistributedCache.connect(redis.url, 'outage').open();
    try {
      const received = inbox();
      let missed = 0;
      await subscriber.subscribe('keys-changed', received.handler, { onMissedMessages: () => { missed++; } });
      const unsubscribeLater = await subscriber.subscribe('temporary', () => undefined);
      await publisher.publish('keys-changed', 'before');
      expect(await received.waitFor(1)).toEqual(['before']);

      await redis.stop();
      await expect(publisher.publish('keys-changed', 'during')).rejects.toThrow();
      // Unsubscribing (as at shutdown) while Redis is down returns at once instead of waiting for Redis.
      const started = Date.now();
      await unsubscribeLater();
      expect(Date.now() - started).toBeLessThan(500);
      // Subscribing while Redis is down neither throws nor hangs; it starts once Redis is back.
      const late = inbox();
      await subscriber.subscribe('late', late.handler);

      await redis.start();
      const deadline = Date.now() + 15_000;
      while (missed === 0 && Date.now() < deadline) await sleep(50);
      expect(missed).toBe(1);
      // The main connection reconnects on its own schedule: publish until it does (bounded).
      while (Date.now() < deadline) {
        const reached = await publisher.publish('keys-changed', 'after').catch(() => -1);
        if (reached === 1) break;
        await sleep(100);
      }
      expect(await received.waitFor(2)).toEqual(['before', 'after']);
      expect(await publisher.publish('late', 'queued subscription works')).toBe(1);
      expect(await late.waitFor(1)).toEqual(['queued subscription works']);
    } finally {
      await subscriber.onModuleDestroy();
      await publisher.onModuleDestroy();
    }
  }, 30_000);
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
