import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { DeviceFlowStore } from '../stores/device-flow.store';
import { ServerSideSessionStore } from '../stores/server-side-session.store';
import { TokenCleanupMetrics } from './token-cleanup.metrics';

export interface TokenCleanupResult {
  readonly persistedGrants: number;
  readonly deviceCodes: number;
  readonly serverSideSessions: number;
}

/** One store's batch delete: removes up to `batchSize` rows expired before `now`. */
type RemoveBatch = (now: Date, batchSize: number) => Promise<number>;

/**
 * Removes expired persisted grants, device codes and server-side sessions (Duende's
 * TokenCleanupService). Works in small batches so no instance holds a long lock, and the rows
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
    };
    this.metrics?.recordRemoved(result);
    const total = result.persistedGrants + result.deviceCodes + result.serverSideSessions;
    if (total > 0) this.logger.log({ ...result }, `removed ${total} expired rows`);
    return result;
  }
}

/**
 * Calls `remove` until a batch comes back short: a full batch means more may be waiting.
 * Between batches it gives the event loop a turn: with a synchronous driver (better-sqlite3)
 * every batch resolves at once, and without the turn a million expired rows would be removed in
 * one stretch of microtasks while no request is served (bench/scale.mjs measured 77 s).
 */
export async function removeInBatches(remove: RemoveBatch, now: Date, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await remove(now, batchSize);
    total += removed;
    if (removed < batchSize) return total;
    await nextTurn();
  }
}
