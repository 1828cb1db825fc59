import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { createRedisClient } from '../../caching/ioredis-client';
import { redisUnavailable } from '../../common/dependency-failure';

/**
 * Stores an item as one Redis hash and adds its key to lookup sets; all in one script, so a
 * reader never sees half an item. KEYS[1] is the item, KEYS[2..] the lookup sets.
 * ARGV: mode (`upsert` | `create`: only when absent | `create-alone`: only when absent and every set
 * is empty | `update`: only when present), time to live
 * in ms ('' for none), the member added to the sets, the key prefix of the sets' items, then
 * field/value pairs.
 * A lookup set lives as long as its longest-lived member (none: no expiry), so it disappears with
 * its items; members that expired or were removed meanwhile stay behind and readers skip them.
 * Each write also checks a few random members of each set (ARGV[4] + member is their item's key)
 * and drops those whose item is gone: a set that lives on (a subject signing in every day) never
 * piles up members that expired. (Item keys are computed here: a standalone Redis, not a cluster.)
 * Returns 1 when written, 0 when the mode refused.
 */
const PUT_SCRIPT = `
local exists = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[1] == 'create' and exists then return 0 end
if ARGV[1] == 'update' and not exists then return 0 end
if ARGV[1] == 'create-alone' then
  if exists then return 0 end
  for i = 2, #KEYS do
    if redis.call('SCARD', KEYS[i]) > 0 then return 0 end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
for i = 2, #KEYS do
  local fresh = redis.call('EXISTS', KEYS[i]) == 0
  for _, member in ipairs(redis.call('SRANDMEMBER', KEYS[i], 8)) do
    if redis.call('EXISTS', ARGV[4] .. member) == 0 then redis.call('SREM', KEYS[i], member) end
  end
  redis.call('SADD', KEYS[i], ARGV[3])
  if ARGV[2] == '' then
    redis.call('PERSIST', KEYS[i])
  elseif fresh then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  else
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl >= 0 and ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  end
end
return 1
`;

/**
 * Sets a hash field only when the hash exists and the field does not: one-time consumption. The
 * caller that set it also sets the further field/value pairs (ARGV[3..]) in the same step.
 */
const SET_ONCE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
return 1
`;

type Commands = Redis & {
  opsPut(...args: Array<string | number>): Promise<number>;
  opsSetOnce(key: string, field: string, value: string, ...more: string[]): Promise<number>;
};

/**
 * The Redis connection of the operational stores (OPERATIONAL_STORE=redis, docs/deployment.md),
 * with the same settings as the distributed cache: commands are not queued while Redis is down,
 * and every connection-class failure becomes DependencyUnavailableError('redis') (503
 * `temporarily_unavailable`). Every key starts with `<DATA_PROTECTION_APPLICATION_NAME>:ops:`.
 */
export class RedisOperationalConnection implements OnModuleDestroy {
  private readonly logger = new Logger(RedisOperationalConnection.name);
  private readonly commands: Commands;

  constructor(readonly redis: Redis, readonly prefix: string) {
    redis.defineCommand('opsPut', { lua: PUT_SCRIPT });
    redis.defineCommand('opsSetOnce', { numberOfKeys: 1, lua: SET_ONCE_SCRIPT });
    this.commands = redis as Commands;
  }

  static async connect(url: string, applicationName: string): Promise<RedisOperationalConnection> {
    const redis = createRedisClient(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      lazyConnect: true,
    });
    const connection = new RedisOperationalConnection(redis, `${applicationName}:ops:`);
    let healthy = true;
    redis.on('ready', () => {
      if (!healthy) connection.logger.log('Redis operational store connection restored');
      healthy = true;
    });
    redis.on('error', (error: Error) => {
      if (healthy) connection.logger.error(`Redis operational store unreachable (grants, device codes and sessions answer 503 until it is back): ${error.message}`);
      healthy = false;
    });
    try {
      await redis.connect();
    } catch (error) {
      connection.logger.error(`Redis operational store unreachable at start-up: ${error instanceof Error ? error.message : String(error)}`);
    }
    return connection;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Runs Redis commands; an outage becomes DependencyUnavailableError('redis'), anything else stays as it is. */
  async run<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await work(this.redis);
    } catch (error) {
      throw redisUnavailable(error) ?? error;
    }
  }

  /** See PUT_SCRIPT. `ttlMs` undefined: the item never expires. */
  put(mode: 'upsert' | 'create' | 'create-alone' | 'update', key: string, sets: readonly string[], member: string,
    ttlMs: number | undefined, fields: Record<string, string>): Promise<boolean> {
    // every item key is its kind's prefix followed by the member
    const itemPrefix = key.slice(0, key.length - member.length);
    const pairs = Object.entries(fields).flat();
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)));
    return this.run(async () => (await this.commands.opsPut(1 + sets.length, key, ...sets, mode, ttl, member, itemPrefix, ...pairs)) === 1);
  }

  /**
   * Sets `field` of the hash at `key` when the hash exists and the field is absent, and then `more`
   * too, atomically; true for the one caller that set it.
   */
  setOnce(key: string, field: string, value: string, more: Record<string, string> = {}): Promise<boolean> {
    return this.run(async () => (await this.commands.opsSetOnce(key, field, value, ...Object.entries(more).flat())) === 1);
  }

  /** The hashes at `keys` (undefined where absent), in one round trip. */
  async hashes(keys: readonly string[]): Promise<Array<Record<string, string> | undefined>> {
    if (keys.length === 0) return [];
    const results = await this.run(async (redis) => {
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hgetall(key);
      return (await pipeline.exec()) ?? [];
    });
    return results.map(([error, value]) => {
      if (error) throw redisUnavailable(error) ?? error;
      const hash = value as Record<string, string>;
      return Object.keys(hash).length === 0 ? undefined : hash;
    });
  }

  /** Every key matching `pattern` (after the prefix), by SCAN: for the rare lookups no set serves. */
  async scan(pattern: string): Promise<string[]> {
    const found = new Set<string>();
    await this.run(async (redis) => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${this.prefix}${pattern}`, 'COUNT', 1000);
        for (const key of keys) found.add(key);
        cursor = next;
      } while (cursor !== '0');
    });
    return [...found];
  }

  /** Deletes the item at `key` and its membership (`member`) in `sets`. */
  async remove(key: string, sets: readonly string[], member: string): Promise<void> {
    await this.run(async (redis) => {
      const multi = redis.multi().del(key);
      for (const set of sets) multi.srem(set, member);
      await multi.exec();
    });
  }
}
