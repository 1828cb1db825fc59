import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthCheckRegistry } from './health-check.registry';
import { DistributedCache } from '../caching/distributed-cache';
import { RedisDistributedCache } from '../caching/redis-distributed-cache';

/** Budget for the Redis round trip: /health must answer even when Redis hangs. */
export const REDIS_HEALTH_TIMEOUT_MS = 2000;

/**
 * The `redis` indicator of `GET /health` (docs/endpoints.md), present only when REDIS_URL is set: a PING
 * through the cache's own connection. A failure makes /health 503 with `redis` down.
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleInit {
  constructor(private readonly cache: DistributedCache, private readonly registry: HealthCheckRegistry) {}

  onModuleInit(): void {
    const cache = this.cache;
    if (!(cache instanceof RedisDistributedCache)) return;
    this.registry.register('redis', async () => {
      await cache.ping();
      return { redis: { status: 'up' } };
    }, { timeoutMs: REDIS_HEALTH_TIMEOUT_MS });
  }
}
