import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { DistributedCache } from './distributed-cache';
import { InMemoryDistributedCache } from './in-memory-distributed-cache';
import { RedisDistributedCache } from './redis-distributed-cache';
import { RedisHealthIndicator } from '../health/redis.health';

/**
 * The DistributedCache for the whole application: Redis when REDIS_URL is set (shared by all
 * instances, with a `redis` health indicator), otherwise in-process. Global, because replay
 * detection, device-flow throttling and PAR all use it.
 */
@Global()
@Module({
  providers: [
    {
      provide: DistributedCache,
      inject: [APP_CONFIG, Clock],
      useFactory: async (config: AppConfig, clock: Clock): Promise<DistributedCache> =>
        config.redisUrl
          ? RedisDistributedCache.connect(config.redisUrl, config.dataProtection.applicationName).open()
          : new InMemoryDistributedCache(clock),
    },
    RedisHealthIndicator,
  ],
  exports: [DistributedCache],
})
export class CachingModule {}
