import { DistributedCache } from '../caching/distributed-cache';

/**
 * The counters of attempt limits (AttemptLimit: wrong passwords, wrong user codes), shared by
 * every instance. Each count is ONE atomic operation (never read, then write), so N parallel
 * attempts on any number of instances take N distinct counts. Bound by DI: in Redis when
 * REDIS_URL is set (CacheAttemptCounterStore), else in the database's `attempt_counters` table
 * (TypeOrmAttemptCounterStore), so instances sharing one database count together.
 */
export abstract class AttemptCounterStore {
  /**
   * Adds `by` (default 1) to the counter `key` and returns the new count. The first count creates
   * the counter with a window of `windowMs`; later ones leave its end alone (a fixed window from
   * the first count), and a count after the window ended starts a new one. A negative `by` on a
   * counter that is gone (window ended) creates none and returns 0.
   */
  abstract increment(key: string, windowMs: number, by?: number): Promise<number>;

  /** Removes at most `batchSize` counters whose window ended before `now`; returns how many. */
  abstract removeExpired(now: Date, batchSize: number): Promise<number>;
}

/**
 * The counters in the distributed cache: one Lua script on Redis (REDIS_URL), else this process's
 * memory (atomic within one instance only: use it alone, or with Redis).
 */
export class CacheAttemptCounterStore extends AttemptCounterStore {
  constructor(private readonly cache: DistributedCache) {
    super();
  }

  increment(key: string, windowMs: number, by = 1): Promise<number> {
    return this.cache.increment(key, windowMs, by);
  }

  /** The cache expires its own entries. */
  async removeExpired(): Promise<number> {
    return 0;
  }
}
