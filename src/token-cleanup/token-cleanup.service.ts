import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as pause } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { AttemptCounterStore } from '../stores/attempt-counter.store';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { DeviceFlowStore } from '../stores/device-flow.store';
import { ServerSideSessionStore } from '../stores/server-side-session.store';
import { TokenCleanupMetrics } from './token-cleanup.metrics';

export interface TokenCleanupResult {
  readonly persistedGrants: number;
  readonly deviceCodes: number;
  readonly serverSideSessions: number;
  /** attempt counters (login throttling, user codes) whose window ended: the database's, never Redis's */
  readonly attemptCounters: number;
}

/** One store's batch delete: removes up to `batchSize` rows expired before `now`. */
type RemoveBatch = (now: Date, batchSize: number) => Promise<number>;

/**
 * Removes expired persisted grants, device codes, server-side sessions and attempt counters
 * (Duende's TokenCleanupService). Works in small batches so no instance holds a long lock, and the rows
 * each batch deletes are gone for the others: instances running it at once never double work.
 */
@Injectable()
export class TokenCleanupService {
  private readonly logger = new Logger(TokenCleanupService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly grants: PersistedGrantStore,
    private readonly deviceCodes: DeviceFlowStore,
    private readonly sessions: ServerSideSessionStore,
    private readonly attemptCounters: AttemptCounterStore,
    // Absent in the `cleanup` CLI, whose process has no /metrics.
    @Optional() private readonly metrics?: TokenCleanupMetrics,
  ) {}

  async removeExpired(): Promise<TokenCleanupResult> {
    // One "now" for the whole run: rows that expire while we work wait for the next run.
    const now = this.clock.now();
    const batchSize = this.config.tokenCleanup.batchSize;
    const result: TokenCleanupResult = {
      persistedGrants: await removeInBatches((n, b) => this.grants.removeExpired(n, b), now, batchSize),
      deviceCodes: await removeInBatches((n, b) => this.deviceCodes.removeExpired(n, b), now, batchSize),
      serverSideSessions: await removeInBatches((n, b) => this.sessions.removeExpired(n, b), now, batchSize),
      attemptCounters: await removeInBatches((n, b) => this.attemptCounters.removeExpired(n, b), now, batchSize),
    };
    this.metrics?.recordRemoved(result);
    const total = result.persistedGrants + result.deviceCodes + result.serverSideSessions + result.attemptCounters;
    if (total > 0) this.logger.log({ ...result }, `removed ${total} expired rows`);
    return result;
  }
}

/** The longest pause between two batches, however long the last one took. */
const MAX_PAUSE_MS = 1_000;

/**
 * Calls `remove` until a batch comes back short: a full batch means more may be waiting.
 * After each full batch it pauses as long as that batch took (at most MAX_PAUSE_MS), so cleanup
 * never takes more than about half of the event loop or of the database's time, and requests
 * get their turn in between. With a synchronous driver (better-sqlite3) every batch resolves at
 * once: without the pause, a million expired rows were removed in one stretch of microtasks
 * while no request was served (bench/scale.mjs measured 77 s).
 */
export async function removeInBatches(remove: RemoveBatch, now: Date, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const started = performance.now();
    const removed = await remove(now, batchSize);
    total += removed;
    if (removed < batchSize) return total;
    await pause(Math.min(MAX_PAUSE_MS, performance.now() - started));
  }
}
