import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DistributedCache } from '../caching/distributed-cache';
import { TokenCleanupService } from './token-cleanup.service';

const START_TIMEOUT = 'token-cleanup:start';
const INTERVAL = 'token-cleanup';
/** Cache key of the lease that lets one instance per interval do the sweep. */
export const TOKEN_CLEANUP_LEASE_KEY = 'token-cleanup:lease';
/** Instances start at most this long apart, so they don't sweep in lockstep. */
const MAX_START_JITTER_MS = 60_000;

/** How long to wait before the first run: a random share of the interval, capped. */
export function startJitterMs(intervalMs: number, random: number): number {
  return Math.floor(Math.min(intervalMs, MAX_START_JITTER_MS) * random);
}

/**
 * Thin scheduler (Duende's TokenCleanupHost): after a random delay, runs the cleanup every
 * TOKEN_CLEANUP_INTERVAL, catching and logging its own failures. The work is in
 * TokenCleanupService, which tests and the `cleanup` CLI call directly.
 */
@Injectable()
export class TokenCleanupHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TokenCleanupHost.name);
  private readonly instanceId = randomUUID();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly cleanup: TokenCleanupService,
    private readonly cache: DistributedCache,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.tokenCleanup.interval;
    const start = setTimeout(() => {
      this.scheduler.deleteTimeout(START_TIMEOUT);
      void this.runOnce();
      const timer = setInterval(() => void this.runOnce(), interval);
      timer.unref();
      this.scheduler.addInterval(INTERVAL, timer);
    }, startJitterMs(interval, Math.random()));
    // Never keep a CLI process or a test alive just for cleanup.
    start.unref();
    this.scheduler.addTimeout(START_TIMEOUT, start);
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('timeout', START_TIMEOUT)) this.scheduler.deleteTimeout(START_TIMEOUT);
    if (this.scheduler.doesExist('interval', INTERVAL)) this.scheduler.deleteInterval(INTERVAL);
  }

  /** One scheduled run; never throws (a failing sweep must not take the process down). */
  async runOnce(): Promise<void> {
    try {
      // With a shared cache, one instance per interval sweeps; the others skip this round.
      const leased = await this.cache.addIfAbsent(TOKEN_CLEANUP_LEASE_KEY, this.instanceId, Math.max(1, this.config.tokenCleanup.interval - 1_000));
      if (!leased) return;
      await this.cleanup.removeExpired();
    } catch (error: unknown) {
      this.logger.error({ err: error }, 'token cleanup failed; will retry at the next interval');
    }
  }
}
