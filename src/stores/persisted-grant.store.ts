import type { PersistedGrant, PersistedGrantFilter } from './models';

export abstract class PersistedGrantStore {
  /** Inserts, or replaces the grant with the same key. */
  abstract store(grant: PersistedGrant): Promise<void>;
  abstract get(key: string): Promise<PersistedGrant | undefined>;
  abstract getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]>;
  abstract remove(key: string): Promise<void>;
  abstract removeAll(filter: PersistedGrantFilter): Promise<void>;
  /**
   * Marks the grant consumed at `when` only if it was not consumed yet. Returns true for the one
   * caller that won: this is what makes codes and one-time refresh tokens single-use under races.
   * With `data`, the winner also replaces the grant's protected payload in the same atomic step
   * (a rotated refresh token records its successor; losers then read the winner's record).
   */
  abstract consume(key: string, when: Date, data?: string): Promise<boolean>;
  /** Deletes up to `batchSize` grants expired before `now` (or consumed long ago); returns how many. */
  abstract removeExpired(now: Date, batchSize: number): Promise<number>;
}
