import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { KeyManager } from './key-manager.service';

const TIMEOUT_NAME = 'key-rotation-start';
const INTERVAL_NAME = 'key-rotation';
/** Start-up jitter cap, so instances started together do not check in lockstep. */
const MAX_JITTER_MS = 5000;

/**
 * Duende's KeyManagement background check, kept thin (STYLE habit 11): every
 * KEY_MANAGEMENT_CHECK_INTERVAL it asks KeyManager to create successors and delete expired keys,
 * and logs its own failures. The interval comes from configuration, hence SchedulerRegistry
 * rather than a decorator.
 */
@Injectable()
export class KeyRotationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeyRotationService.name);
  /** the check in progress, awaited at shutdown so it never meets a closed database */
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly keyManager: KeyManager,
    private readonly scheduler: SchedulerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.keyManagement.enabled) return;
    const interval = this.config.keyManagement.checkInterval;
    const jitter = Math.floor(Math.random() * Math.min(interval, MAX_JITTER_MS));
    const start = setTimeout(() => {
      this.scheduler.deleteTimeout(TIMEOUT_NAME);
      const timer = setInterval(() => void this.runOnce(), interval);
      timer.unref();
      this.scheduler.addInterval(INTERVAL_NAME, timer);
      void this.runOnce();
    }, jitter);
    start.unref();
    this.scheduler.addTimeout(TIMEOUT_NAME, start);
  }

  /** Stops the schedule, then lets a check already running finish (the database closes after this hook). */
  async onModuleDestroy(): Promise<void> {
    if (this.scheduler.doesExist('timeout', TIMEOUT_NAME)) this.scheduler.deleteTimeout(TIMEOUT_NAME);
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.inFlight;
  }

  /** One check; never throws (a failed run is retried at the next interval). */
  async runOnce(): Promise<void> {
    // A slow run (e.g. a lock held by another instance) is not overlapped by the next tick.
    if (this.inFlight) return;
    this.inFlight = this.check().finally(() => {
      this.inFlight = undefined;
    });
    await this.inFlight;
  }

  private async check(): Promise<void> {
    try {
      const created = await this.keyManager.ensureKeys();
      if (created.length > 0) this.logger.log(`Key rotation created ${created.length} signing key(s)`);
    } catch (error) {
      this.logger.error(`Signing-key rotation check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
