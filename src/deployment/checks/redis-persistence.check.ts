import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { DistributedCache } from '../../caching/distributed-cache';
import { RedisDistributedCache } from '../../caching/redis-distributed-cache';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';

export const REDIS_KEY_RING_NOT_PERSISTED = 'redis-key-ring-not-persisted';
export const REDIS_OPERATIONAL_STORE_NOT_PERSISTED = 'redis-operational-store-not-persisted';
export const REDIS_REPLAY_CACHE_NOT_PERSISTED = 'redis-replay-cache-not-persisted';

/** `CONFIG GET appendonly` and `CONFIG GET save`, as Redis answers them. */
export interface RedisPersistence {
  readonly appendonly: string;
  readonly save: string;
}

/** Neither the append-only file nor RDB snapshots: a restart of Redis starts empty. */
export function redisPersistenceFindings(config: AppConfig, persistence: RedisPersistence): DoctorFinding[] {
  if (persistence.appendonly.trim().toLowerCase() !== 'no' || persistence.save.trim() !== '') return [];
  const remedy = 'turn on persistence in Redis (appendonly yes, or a save schedule) or use a managed Redis that persists';
  const findings: DoctorFinding[] = [];
  if (config.dataProtection.keyStore === 'redis') {
    findings.push({
      id: REDIS_KEY_RING_NOT_PERSISTED,
      severity: 'error',
      message: 'The data-protection key ring is in a Redis without persistence (appendonly no, no save schedule): a Redis restart '
        + 'loses it, and with it every session, grant and data-protected signing key.',
      fix: `With DATA_PROTECTION_KEY_STORE=redis, ${remedy}; or set DATA_PROTECTION_KEY_STORE=database (docs/deployment.md#data-protection).`,
    });
  }
  if (config.operationalStore === 'redis') {
    findings.push({
      id: REDIS_OPERATIONAL_STORE_NOT_PERSISTED,
      severity: 'error',
      message: 'Persisted grants, device codes and server-side sessions are in a Redis without persistence (appendonly no, no save '
        + 'schedule): a Redis restart logs every user out and invalidates every refresh token, reference token and consent.',
      fix: `With OPERATIONAL_STORE=redis, ${remedy}; or set OPERATIONAL_STORE=database (docs/deployment.md#redis-operational-store).`,
    });
  }
  if (findings.length > 0) return findings;
  return [{
    id: REDIS_REPLAY_CACHE_NOT_PERSISTED,
    severity: 'warning',
    message: 'The replay cache is in a Redis without persistence (appendonly no, no save schedule): after a Redis restart every '
      + 'client assertion used before it can be replayed until it expires (CLIENT_ASSERTION_MAX_LIFETIME).',
    fix: `For the Redis of REDIS_URL, ${remedy} (docs/deployment.md#many-instances).`,
  }];
}

/** Redis answers CONFIG GET slowly never, but it may not answer at all: /health keeps its budget. */
const CACHE_MS = 10_000;

async function persistenceOf(redis: Redis): Promise<RedisPersistence> {
  const [appendonly, save] = await Promise.all([redis.config('GET', 'appendonly'), redis.config('GET', 'save')]);
  const value = (reply: unknown): string => (Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : '');
  return { appendonly: value(appendonly), save: value(save) };
}

/**
 * Redis without persistence holding the key ring (error) or the replay cache (warning). A Redis
 * that refuses CONFIG (managed services) or is unreachable gives no finding: the `redis`
 * indicator reports an outage, and persistence cannot be told from outside.
 */
@Injectable()
export class RedisPersistenceCheck extends DeploymentCheck {
  readonly name = 'redis persistence';
  private readonly logger = new Logger('DeploymentChecks');
  private cached?: { readonly at: number; readonly findings: Promise<DoctorFinding[]> };

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, private readonly cache: DistributedCache) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    const cache = this.cache;
    if (!this.config.redisUrl || !(cache instanceof RedisDistributedCache)) return [];
    const now = performance.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const findings = persistenceOf(cache.redis).then(
        (persistence) => redisPersistenceFindings(this.config, persistence),
        (error: unknown) => {
          this.logger.debug(`Redis persistence not checked (CONFIG GET refused or Redis unreachable): ${error instanceof Error ? error.message : String(error)}`);
          return [];
        },
      );
      this.cached = { at: now, findings };
    }
    return this.cached.findings;
  }
}
