import { Logger, type OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { DistributedCache } from './distributed-cache';
import { redisUnavailable } from '../common/dependency-failure';

/**
 * The cache shared by every instance, in Redis. Keys are prefixed with the data-protection
 * application name so several deployments can share one Redis without seeing each other's keys.
 * Every operation rejects when Redis is unreachable, with a DependencyUnavailableError('redis')
 * for connection-class failures (refused, closed, not writeable while reconnecting, retries
 * exhausted, command timeout): the request answers 503 `temporarily_unavailable` and callers that
 * guard something (replay checks, throttling, one-time values) fail closed (docs/deployment.md).
 */
export class RedisDistributedCache extends DistributedCache implements OnModuleDestroy {
  private readonly logger = new Logger(RedisDistributedCache.name);

  constructor(readonly redis: Redis, private readonly prefix: string) {
    super();
  }

  static connect(url: string, applicationName: string): RedisDistributedCache {
    const redis = new Redis(url, {
      // Fail fast instead of queueing commands while disconnected: a replay check must not
      // hang a token request (and must not pass) when Redis is down.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      lazyConnect: true,
    });
    const cache = new RedisDistributedCache(redis, `${applicationName}:cache:`);
    // Log a lost connection once, not on every reconnect attempt.
    let healthy = true;
    redis.on('ready', () => {
      if (!healthy) cache.logger.log('Redis cache connection restored');
      healthy = true;
    });
    redis.on('error', (error: Error) => {
      if (healthy) cache.logger.error(`Redis cache unreachable (replay checks fail closed until it is back): ${error.message}`);
      healthy = false;
    });
    return cache;
  }

  /**
   * Connects before the first request (commands are not queued while disconnected). When Redis
   * is down at start-up the server still starts; ioredis keeps reconnecting and, meanwhile,
   * cache operations reject so replay checks fail closed.
   */
  async open(): Promise<this> {
    try {
      await this.redis.connect();
    } catch (error) {
      this.logger.error(`Redis cache unreachable at start-up: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this;
  }

  async onModuleDestroy(): Promise<void> {
    // A connection that is down (reconnecting) is just dropped; quit would wait for it.
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch((error: unknown) => {
      this.logger.warn(`closing the Redis connection failed: ${error instanceof Error ? error.message : String(error)}`);
      this.redis.disconnect();
    });
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.command(() => this.redis.get(this.prefix + key))) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.command(() => this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async delete(key: string): Promise<void> {
    await this.command(() => this.redis.del(this.prefix + key));
  }

  async addIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    // SET NX is atomic across every instance sharing this Redis.
    const result = await this.command(() => this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    return result === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.command(() => this.redis.getdel(this.prefix + key))) ?? undefined;
  }

  /** Runs one command; an outage becomes DependencyUnavailableError('redis'), anything else stays as it is. */
  private async command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw redisUnavailable(error) ?? error;
    }
  }

  /** Round trip for the health indicator. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
