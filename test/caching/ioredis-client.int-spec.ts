import type Redis from 'ioredis';
import { createRedisClient } from '../../src/caching/ioredis-client';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis';

const TIMEOUT_MS = 200;

/** Keeps the event loop busy for `ms` without yielding, as a burst of requests does on a loaded machine. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* hold the loop */ }
}

function client(url: string): Redis {
  return createRedisClient(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: TIMEOUT_MS, retryStrategy: () => null });
}

/**
 * The command timeout of every Redis client (src/caching/ioredis-client.ts): a hung Redis is
 * called down after `commandTimeout`, but a busy event loop is not mistaken for a hung Redis.
 */
describe('Redis command timeout', () => {
  let redis: PrivateRedis;
  let subject: Redis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  }, 20_000);
  afterAll(async () => {
    await redis?.destroy();
  });
  beforeEach(async () => {
    subject = client(redis.url);
    await subject.connect();
  });
  afterEach(() => {
    redis.thaw();
    subject.disconnect();
  });

  it('a reply that arrived while the event loop was busy past the timeout, should be taken, not timed out', async () => {
    for (let i = 0; i < 5; i++) {
      const pinged = subject.ping();
      busy(3 * TIMEOUT_MS); // Redis answers within a millisecond; the reply waits in the socket
      await expect(pinged).resolves.toBe('PONG');
    }
  });

  it('a Redis that does not answer (frozen), should time the command out after about commandTimeout', async () => {
    redis.freeze();
    const started = performance.now();
    await expect(subject.ping()).rejects.toThrow('Command timed out');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(waited).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it('a command answered in time, should leave no timer behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await Promise.all(Array.from({ length: 20 }, () => subject.ping()));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
