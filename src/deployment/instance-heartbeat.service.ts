import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DistributedCache } from '../caching/distributed-cache';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { RedisDistributedCache } from '../caching/redis-distributed-cache';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DataProtectionKeyStore } from '../data-protection/data-protection-key.store';
import { ForwardedHeadersMonitor } from '../hosting/forwarded-headers.monitor';
import { InstanceIdentity } from './instance-identity';
import { HEARTBEAT_INTERVAL_MS, InstanceRegistry } from './instance-registry';
import type { CacheKind, InstanceRow } from './instance.entity';
import { keyRingIdOf } from './key-ring-id';

/** `other` for a cache bound by an integrator: neither known to be shared nor known to be private. */
export function cacheKindOf(cache: DistributedCache): CacheKind | 'other' {
  if (cache instanceof InMemoryDistributedCache) return 'in-process';
  if (cache instanceof RedisDistributedCache) return 'redis';
  return 'other';
}

/**
 * The server's entry in the instance registry: recorded at start, refreshed every
 * HEARTBEAT_INTERVAL_MS, removed on graceful shutdown. Each beat also removes the rows of
 * instances that stopped beating. Server only: the CLI never writes the registry. A failing beat
 * (database down) is logged once per outage and never stops the server.
 */
@Injectable()
export class InstanceHeartbeatService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('InstanceRegistry');
  private timer?: NodeJS.Timeout;
  private readonly startedAt: Date;
  private failing = false;
  private stopped = false;
  private inFlight?: Promise<void>;

  constructor(
    private readonly registry: InstanceRegistry,
    private readonly identity: InstanceIdentity,
    private readonly clock: Clock,
    private readonly keyStore: DataProtectionKeyStore,
    private readonly cache: DistributedCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly forwarded?: ForwardedHeadersMonitor,
  ) {
    this.startedAt = clock.now();
  }

  get instanceId(): string {
    return this.identity.id;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A beat still running would write the row back after its removal.
    await this.inFlight;
    try {
      await this.registry.remove(this.identity.id);
    } catch (error) {
      // The row expires on its own after three missed beats.
      this.logger.warn(`Could not remove this instance from the registry at shutdown: ${describe(error)}`);
    }
  }

  /** One heartbeat: record this instance, drop the stale ones. Never throws. */
  beat(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.record().finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  private async record(): Promise<void> {
    try {
      const now = this.clock.now();
      await this.registry.record(await this.row(now));
      await this.registry.removeStale(now);
      if (this.failing) this.logger.log('Instance registry heartbeat recorded again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) {
        this.logger.error(`Instance registry heartbeat failed (doctor and the deployment checks do not see this instance until it `
          + `succeeds; retried every ${HEARTBEAT_INTERVAL_MS / 1000} s): ${describe(error)}`);
      }
      this.failing = true;
    }
  }

  private async row(now: Date): Promise<InstanceRow> {
    const ring = await this.keyStore.loadAll();
    const forwarded = this.forwarded?.snapshot();
    return {
      id: this.identity.id,
      host: this.identity.host,
      version: this.identity.version,
      applicationName: this.config.dataProtection.applicationName,
      keyRingId: keyRingIdOf(ring),
      cacheKind: cacheKindOf(this.cache),
      startedAt: this.startedAt,
      lastSeenAt: now,
      untrustedForwardedHeaders: forwarded?.untrustedProxy ?? 0,
      lastUntrustedPeer: forwarded?.lastUntrustedPeer?.slice(0, 100) ?? null,
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
