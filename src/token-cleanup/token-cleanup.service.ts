import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { setTimeout as pause } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { databaseDialect } from '../database/data-source-options';
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
    // better-sqlite3 runs each batch on the event loop, so on SQLite the batches are kept short
    // and the pauses grow with the requests' load; PostgreSQL batches wait on the network and
    // keep their size and pause.
    const pacing: Pacing = databaseDialect(this.config.database.url) === 'sqlite'
      ? { load: eventLoopLoad(), budgetMs: SQLITE_BATCH_BUDGET_MS }
      : { load: noLoad };
    const result: TokenCleanupResult = {
      persistedGrants: await removeInBatches((n, b) => this.grants.removeExpired(n, b), now, batchSize, pacing),
      deviceCodes: await removeInBatches((n, b) => this.deviceCodes.removeExpired(n, b), now, batchSize, pacing),
      serverSideSessions: await removeInBatches((n, b) => this.sessions.removeExpired(n, b), now, batchSize, pacing),
      attemptCounters: await removeInBatches((n, b) => this.attemptCounters.removeExpired(n, b), now, batchSize, pacing),
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
 * How much longer the pause gets on a fully busy event loop: 1 + 9 = 10 times the batch, so a
 * synchronous cleanup takes at most a tenth of the time of a server that has requests waiting.
 */
const BUSY_PAUSE_FACTOR = 9;

/** Share (0–1) of the time the event loop was busy since the previous call. */
export type LoadMeter = () => number;

/** LoadMeter of this process's event loop (its utilization, as node:perf_hooks measures it). */
export function eventLoopLoad(): LoadMeter {
  let last = performance.eventLoopUtilization();
  return () => {
    const current = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(current, last);
    last = current;
    return Number.isFinite(utilization) ? Math.min(1, Math.max(0, utilization)) : 0;
  };
}

/** A LoadMeter that always reads idle: the pause is just as long as the batch. */
export const noLoad: LoadMeter = () => 0;

/**
 * How long one SQLite batch may hold the event loop: a request that arrives meanwhile waits that
 * long. At about 0.1 ms per row on a table of a million grants, some 10 rows. 5 ms left
 * introspection's p99 at 1.2–1.3 times the empty server's during a 1M-grant cleanup, 1 ms at 1.0
 * (README, "1M persisted grants"); the cleanup takes about a quarter longer.
 */
export const SQLITE_BATCH_BUDGET_MS = 1;

/** How removeInBatches spaces and sizes its batches. */
export interface Pacing {
  /** the requests' load, read before and after each pause */
  readonly load: LoadMeter;
  /** when set, a batch that took longer makes the next ones smaller (never larger than the batch size) */
  readonly budgetMs?: number;
}

/**
 * Calls `remove` until a batch comes back short: a full batch means more may be waiting.
 * After each full batch it pauses as long as that batch took (at most MAX_PAUSE_MS), so cleanup
 * never takes more than about half of the event loop or of the database's time, and requests
 * get their turn in between. With a synchronous driver (better-sqlite3) every batch resolves at
 * once: without the pause, a million expired rows were removed in one stretch of microtasks
 * while no request was served (bench/scale.mjs measured 77 s). Half of a busy event loop was
 * still too much (refresh p99 went up 9 times on SQLite), so the pause also grows with the load
 * measured over the previous pause, that is the requests' share of the event loop: up to
 * 1 + BUSY_PAUSE_FACTOR times the batch when requests kept it busy. An idle server still cleans
 * up at full pace. With a `budgetMs`, a batch that held the event loop longer than that makes the
 * next ones smaller in proportion (and short ones let them grow back, up to `batchSize`), so no
 * request waits long behind one.
 */
export async function removeInBatches(remove: RemoveBatch, now: Date, batchSize: number, pacing: Pacing = { load: noLoad }): Promise<number> {
  const { load, budgetMs } = pacing;
  let total = 0;
  let size = batchSize;
  // Until a pause has been measured, assume requests are waiting.
  let busy = load === noLoad ? 0 : 1;
  for (;;) {
    const started = performance.now();
    const removed = await remove(now, size);
    total += removed;
    if (removed < size) return total;
    const took = performance.now() - started;
    if (budgetMs !== undefined) size = nextSize(size, batchSize, took, budgetMs);
    load();
    await pause(Math.min(MAX_PAUSE_MS, took * (1 + BUSY_PAUSE_FACTOR * busy)));
    busy = load();
  }
}

/** The size of the next batch after one of `size` rows took `took` ms, to fit `budgetMs`. */
function nextSize(size: number, batchSize: number, took: number, budgetMs: number): number {
  if (took > budgetMs) return Math.max(1, Math.floor((size * budgetMs) / took));
  if (took < budgetMs / 2) return Math.min(batchSize, size * 2);
  return size;
}
