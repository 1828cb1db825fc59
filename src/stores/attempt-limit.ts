import { createHash } from 'node:crypto';
import { AttemptCounterStore } from './attempt-counter.store';

/** A limit of attempts per key within a fixed window: at most `max` may be evaluated. */
export interface AttemptLimitPolicy {
  /** names the counters, e.g. `login:user` */
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
}

/** What reserving an attempt found. */
export interface AttemptReservation {
  /** true when the attempt may be evaluated */
  readonly allowed: boolean;
  /** the count after this attempt: `max + 1` is the first refused one */
  readonly count: number;
}

/**
 * Counts attempts (user codes, passwords) with one atomic increment each in the AttemptCounterStore
 * (Redis, or the database's `attempt_counters` table), BEFORE the attempt is evaluated: N parallel
 * attempts take N distinct counts, so no more than `max` of them are ever evaluated, on any
 * instance (never check, then record). An attempt that turns out right gives its count back
 * (`release`), so only failures add up. The counted value is hashed: no counter holds a user name
 * or address in clear.
 */
export class AttemptLimit {
  constructor(private readonly counters: AttemptCounterStore, private readonly policy: AttemptLimitPolicy) {}

  /** Counts one attempt for `value`; `allowed` false when the limit was already reached. */
  async reserve(value: string): Promise<AttemptReservation> {
    const count = await this.counters.increment(this.key(value), this.policy.windowMs);
    return { allowed: count <= this.policy.max, count };
  }

  /** Gives back the count of an attempt that succeeded. */
  async release(value: string): Promise<void> {
    await this.counters.increment(this.key(value), this.policy.windowMs, -1);
  }

  get max(): number {
    return this.policy.max;
  }

  private key(value: string): string {
    return `attempts:${this.policy.name}:${createHash('sha256').update(value, 'utf8').digest('base64url')}`;
  }
}
