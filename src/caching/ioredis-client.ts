import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * A new ioredis client for `url`. ioredis is required here, when the first client is made,
 * instead of being imported by every Redis class: a deployment without REDIS_URL or a Redis
 * store never loads it (56 files; measured with bench/profile.mjs in the README's Performance
 * section). The Redis classes import ioredis for its types only, which compile away.
 */
export function createRedisClient(url: string, options: RedisOptions): Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: IORedis } = require('ioredis') as typeof import('ioredis');
  return new IORedis(url, options);
}
