import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedisClient } from './ioredis-client';
import { DistributedCache, type MessageHandler, type SubscribeOptions, type Unsubscribe } from './distributed-cache';
import { redisUnavailable } from '../common/dependency-failure';

/**
 * INCRBY and, when that created the counter, PEXPIRE: one script, so a counter never lives on
 * without its expiry and every instance's increments are counted. A decrement never creates one.
 */
const INCREMENT_SCRIPT = `
if tonumber(ARGV[1]) < 0 and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return count
`;

/** SET when the key holds ARGV[2] (ARGV[1] = '1': when it is absent): one script, so no writer slips in between. */
const COMPARE_AND_SET_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
`;

type CacheCommands = Redis & {
  cacheIncrement(key: string, by: number, ttlMs: number): Promise<number>;
  cacheCompareAndSet(key: string, absent: string, expected: string, value: string, ttlMs: number): Promise<number>;
};

/** How long `subscribe` waits for Redis to confirm before returning (the subscription still starts once Redis answers). */
const SUBSCRIBE_WAIT_MS = 2_000;
/** How long unsubscribing waits for Redis to confirm. */
const UNSUBSCRIBE_WAIT_MS = 300;

interface Subscription {
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions;
}

/**
 * The cache shared by every instance, in Redis. Keys are prefixed with the data-protection
 * application name so several deployments can share one Redis without seeing each other's keys;
 * so are publish/subscribe channels. Every operation rejects when Redis is unreachable, with a
 * DependencyUnavailableError('redis') for connection-class failures (refused, closed, not
 * writeable while reconnecting, retries exhausted, command timeout): the request answers 503
 * `temporarily_unavailable` and callers that guard something (replay checks, throttling, one-time
 * values) fail closed (docs/deployment.md).
 *
 * Subscriptions use a second connection (a Redis connection that subscribes can do nothing
 * else), opened at the first `subscribe`: it queues the subscription while Redis is down,
 * resubscribes after a reconnect, and then tells each subscriber that messages may have been
 * missed meanwhile.
 */
export class RedisDistributedCache extends DistributedCache implements OnModuleDestroy {
  private readonly logger = new Logger(RedisDistributedCache.name);
  /** full channel name → subscriptions */
  private readonly subscriptions = new Map<string, Set<Subscription>>();
  private subscriber?: Redis;
  private closing = false;

  /** `channelPrefix` defaults to `prefix` + `channel:`. */
  constructor(readonly redis: Redis, private readonly prefix: string, private readonly channelPrefix = `${prefix}channel:`) {
    super();
    redis.defineCommand('cacheIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    redis.defineCommand('cacheCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET_SCRIPT });
  }

  static connect(url: string, applicationName: string): RedisDistributedCache {
    const redis = createRedisClient(url, {
      // Fail fast instead of queueing commands while disconnected: a replay check must not
      // hang a token request (and must not pass) when Redis is down.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      lazyConnect: true,
    });
    const cache = new RedisDistributedCache(redis, `${applicationName}:cache:`, `${applicationName}:channel:`);
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
    this.closing = true;
    this.subscriptions.clear();
    await Promise.all([this.close(this.redis), this.subscriber ? this.close(this.subscriber) : undefined]);
  }

  private async close(connection: Redis): Promise<void> {
    // A connection that is down (reconnecting) is just dropped; quit would wait for it.
    if (connection.status !== 'ready') {
      connection.disconnect();
      return;
    }
    await connection.quit().catch((error: unknown) => {
      this.logger.warn(`closing the Redis connection failed: ${error instanceof Error ? error.message : String(error)}`);
      connection.disconnect();
    });
  }

  override get reachesOtherInstances(): boolean {
    return true;
  }

  /** PUBLISH on the prefixed channel; resolves with the number of subscribed connections (instances) reached. */
  override async publish(channel: string, message: string): Promise<number> {
    return this.redis.publish(this.channelPrefix + channel, message);
  }

  override async subscribe(channel: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    if (this.closing) throw new Error('the Redis cache is closed');
    const name = this.channelPrefix + channel;
    const subscriber = this.subscriberConnection();
    let subscriptions = this.subscriptions.get(name);
    const first = !subscriptions;
    if (!subscriptions) {
      subscriptions = new Set();
      this.subscriptions.set(name, subscriptions);
    }
    const subscription: Subscription = { handler, options };
    subscriptions.add(subscription);
    if (first) await this.confirm(subscriber.subscribe(name), name);
    return async () => {
      const current = this.subscriptions.get(name);
      if (!current?.delete(subscription) || current.size > 0) return;
      this.subscriptions.delete(name);
      // On a connection that has just dropped, the reply would wait for Redis to come back (shutdown
      // must not): wait a little only. Meanwhile the channel has no handler: its messages are dropped.
      if (this.closing || subscriber.status !== 'ready') return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        subscriber.unsubscribe(name).catch(() => undefined),
        new Promise((resolve) => { timer = setTimeout(resolve, UNSUBSCRIBE_WAIT_MS); }),
      ]);
      clearTimeout(timer);
    };
  }

  /**
   * Waits a little for Redis to confirm a SUBSCRIBE. While Redis is down the command stays
   * queued and runs once it is back, so a slow or failed confirmation is logged, not thrown.
   */
  private async confirm(subscribing: Promise<unknown>, name: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), SUBSCRIBE_WAIT_MS); });
    try {
      const outcome = await Promise.race([subscribing.then(() => 'subscribed' as const), waited]);
      if (outcome === 'timeout') this.logger.warn(`Redis did not confirm the subscription to ${name} yet: it starts once Redis answers`);
    } catch (error) {
      if (!this.closing) this.logger.warn(`Subscribing to ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private subscriberConnection(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.duplicate({
      // Unlike cache commands, a subscription waits for Redis: it is queued and sent on (re)connect.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      autoResubscribe: true,
      lazyConnect: false,
    });
    // Log a lost connection once, and after it comes back tell subscribers what they may have missed.
    let lost = false;
    subscriber.on('error', (error: Error) => {
      if (!lost && !this.closing) this.logger.error(`Redis subscriber connection lost (changes from other instances arrive only when caches expire until it is back): ${error.message}`);
      lost = true;
    });
    subscriber.on('close', () => {
      if (!this.closing) lost = true;
    });
    subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      this.logger.log('Redis subscriber connection restored');
      for (const [, subscriptions] of this.subscriptions) {
        for (const { options } of subscriptions) {
          const onMissed = options.onMissedMessages;
          if (onMissed) void this.deliver('(reconnected)', () => onMissed(), '');
        }
      }
    });
    subscriber.on('message', (name: string, message: string) => {
      for (const { handler } of [...(this.subscriptions.get(name) ?? [])]) void this.deliver(name, handler, message);
    });
    this.subscriber = subscriber;
    return subscriber;
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

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    const redis = this.redis as CacheCommands;
    return this.command(() => redis.cacheIncrement(this.prefix + key, by, Math.max(1, Math.ceil(ttlMs))));
  }

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    const redis = this.redis as CacheCommands;
    const stored = await this.command(() => redis.cacheCompareAndSet(
      this.prefix + key, expected === undefined ? '1' : '0', expected ?? '', value, Math.max(1, Math.ceil(ttlMs)),
    ));
    return stored === 1;
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
