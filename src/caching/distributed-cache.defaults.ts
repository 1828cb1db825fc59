import type { FactoryProvider } from '@nestjs/common';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DistributedCache } from './distributed-cache';
import { InMemoryDistributedCache } from './in-memory-distributed-cache';
import { RedisDistributedCache } from './redis-distributed-cache';

/**
 * The default DistributedCache: Redis when REDIS_URL is set (shared by all instances; the health
 * module then adds a `redis` indicator), otherwise in-process. Replay detection, device-flow
 * throttling and PAR use it.
 */
export const defaultDistributedCacheProvider: FactoryProvider<Promise<DistributedCache>> = {
  provide: DistributedCache,
  inject: [APP_CONFIG, Clock],
  useFactory: async (config: AppConfig, clock: Clock): Promise<DistributedCache> =>
    config.redisUrl
      ? RedisDistributedCache.connect(config.redisUrl, config.dataProtection.applicationName).open()
      : new InMemoryDistributedCache(clock),
};
