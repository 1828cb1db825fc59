import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { HealthCheckRegistry } from '../health/health-check.registry';
import { DistributedCache } from './distributed-cache';
import { RedisDistributedCache } from './redis-distributed-cache';

/** Budget for the Redis round trip: /health must answer even when Redis hangs. */
export const REDIS_HEALTH_TIMEOUT_MS = 2000;

/**
 * The `redis` indicator of `GET /health` (SPEC §4), present only when REDIS_URL is set: a PING
 * through the cache's own connection. A failure makes /health 503 with `redis` down.
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleInit {
  constructor(private readonly cache: DistributedCache, @Optional() private readonly registry?: HealthCheckRegistry) {}

  onModuleInit(): void {
    if (this.registry && this.cache instanceof RedisDistributedCache) {
      this.registry.register('redis', () => this.check(), { timeoutMs: REDIS_HEALTH_TIMEOUT_MS });
    }
  }

  async check(): Promise<HealthIndicatorResult> {
    if (!(this.cache instanceof RedisDistributedCache)) return { redis: { status: 'up', message: 'not configured' } };
    await this.cache.ping();
    return { redis: { status: 'up' } };
  }
}
