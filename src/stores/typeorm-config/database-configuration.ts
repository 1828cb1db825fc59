import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DistributedCache, type Unsubscribe } from '../../caching/distributed-cache';
import { Clock } from '../../common/clock';
import { ProcessMutex } from '../../common/process-mutex';
import { WriteAccess } from '../../common/write-access';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { withAdvisoryLock } from '../../database/advisory-lock';
import { DataProtectionProvider } from '../../data-protection/data-protector';
import { externalProviderSecretProtector, protectExternalProviderSecret } from '../external-provider-secret';
import { ConfigurationReloadMetrics } from '../config-file/configuration-reload.metrics';
import { IDENTITY_CONFIGURATION } from '../config-file/identity-configuration.provider';
import type { IdentityConfiguration } from '../config-file/identity-config.loader';
import type { Client } from '../models';
import type { ConfigurationSnapshot } from './configuration-rows';
import {
  configurationTablesEmpty, insertConfiguration, raiseConfigurationVersion, readConfigurationTables, readConfigurationVersion,
} from './configuration-tables';

/** The channel every instance listens on for configuration changes (prefixed with the application name in Redis). */
export const CONFIGURATION_CHANGED_CHANNEL = 'configuration-changed';

/** Advisory-lock key of seeding: instances started together on an empty database seed once. */
const SEED_LOCK = 'identity-server:configuration-store-seed';

/** One seeding at a time per DataSource in this process (SQLite's one connection is shared by the process). */
const SEED_MUTEXES = new WeakMap<DataSource, ProcessMutex>();

/** While the database is unreachable, how often a read tries it again (the last good copy serves meanwhile). */
export const CONFIGURATION_RETRY_MS = 5_000;

/**
 * How often a server reads the store's version (`configuration_version`) and re-reads the tables
 * when it moved: a change made by another process reaches this one within about this long, with
 * or without Redis (whose message is usually faster).
 */
export const CONFIGURATION_VERSION_POLL_MS = 2_000;

/** What `/health` says about the configuration store (docs/health.md). */
export interface ConfigurationStoreStatus {
  /** when the copy being served was read */
  readonly loadedAt?: Date;
  /** set while reads fail and the last good copy serves */
  readonly outage?: { readonly since: Date; readonly reason: string };
}

interface Loaded {
  readonly snapshot: ConfigurationSnapshot;
  readonly clientsById: ReadonlyMap<string, Client>;
  readonly loadedAt: Date;
}

/**
 * The database configuration store's cache (CONFIGURATION_STORE=database, docs/deployment.md,
 * "Configuration in the database"). Each instance keeps one snapshot of every client and
 * resource for CONFIGURATION_CACHE_DURATION, so the token endpoint reads no table per request.
 * `configurationChanged()` (for the admin API and CLI, after they write) raises the store's
 * version in `configuration_version`, re-reads here and tells every instance through the
 * distributed cache (`configuration-changed`), which re-reads at once. Every server also reads
 * that version every CONFIGURATION_VERSION_POLL_MS and re-reads the tables when it moved: that
 * carries a change from another process without Redis, and one whose message was lost with it.
 * When the database cannot be read the last good copy keeps serving; that is logged once and
 * shown in `/health` details.
 */
@Injectable()
export class DatabaseConfiguration implements OnModuleInit, OnModuleDestroy {
  /** this process, so that its own listener skips the message it published */
  readonly origin = randomUUID();
  private readonly logger = new Logger(DatabaseConfiguration.name);
  private loaded?: Loaded;
  private expiresAt = 0;
  private inFlight?: Promise<Loaded>;
  private outage?: { since: Date; reason: string };
  private unsubscribe?: Unsubscribe;
  private readonly reloadListeners = new Set<() => void>();
  /** the store's version read just before the tables of the copy serving */
  private loadedVersion?: number;
  private pollTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  /** configurationChanged() calls under way: their own re-read follows, the poll waits */
  private changing = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(IDENTITY_CONFIGURATION) private readonly file: IdentityConfiguration,
    private readonly clock: Clock,
    private readonly cache: DistributedCache,
    private readonly metrics: ConfigurationReloadMetrics,
    // Bound only by the CLI: a command neither seeds nor listens; it reads on first use.
    @Optional() private readonly writeAccess?: WriteAccess,
    // Seeding protects the external providers' client secrets; Nest always provides it.
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  /** true when CONFIGURATION_STORE=database */
  get active(): boolean {
    return this.config.configuration.store === 'database';
  }

  /** The server: seeds an empty store, listens for `configuration-changed`, reads the tables. */
  async onModuleInit(): Promise<void> {
    if (!this.active || this.writeAccess) return;
    await this.seedIfEmpty();
    this.unsubscribe = await this.cache.subscribe(CONFIGURATION_CHANGED_CHANNEL, (message) => this.onMessage(message), {
      onMissedMessages: () => this.reloadQuietly('the connection to Redis was lost and is back'),
    });
    await this.refresh();
    this.pollTimer = setInterval(() => { this.polling ??= this.checkVersion().finally(() => { this.polling = undefined; }); }, CONFIGURATION_VERSION_POLL_MS);
    this.pollTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.polling;
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The client, from the cached snapshot (re-read when older than CONFIGURATION_CACHE_DURATION). */
  async findClient(clientId: string): Promise<Client | undefined> {
    return (await this.current()).clientsById.get(clientId);
  }

  async snapshot(): Promise<ConfigurationSnapshot> {
    return (await this.current()).snapshot;
  }

  /**
   * Call after changing the configuration tables (admin API, CLI): raises the store's version,
   * which every server polls (they re-read within CONFIGURATION_VERSION_POLL_MS), publishes
   * `configuration-changed` (with REDIS_URL, other instances re-read at once), and re-reads here.
   * Never throws for a failed notice; it is logged.
   */
  async configurationChanged(): Promise<void> {
    this.writeAccess?.assertWritable('raise the configuration version');
    this.changing += 1;
    try {
      this.expiresAt = 0;
      try {
        await raiseConfigurationVersion(this.dataSource, this.clock.now());
      } catch (error) {
        this.logger.warn(`Could not raise the configuration version (${describe(error)}): instances not told through Redis show the change within CONFIGURATION_CACHE_DURATION`);
      }
      try {
        await this.cache.publish(CONFIGURATION_CHANGED_CHANNEL, JSON.stringify({ origin: this.origin }));
      } catch (error) {
        this.logger.warn(`Could not publish configuration-changed (${describe(error)}): other instances see the change when they next read the configuration version`);
      }
      await this.refresh();
    } finally {
      this.changing -= 1;
    }
  }

  /**
   * Reads the store's version and re-reads the tables when it moved since the copy serving was
   * read (the timer calls it every CONFIGURATION_VERSION_POLL_MS; tests call it directly). Quiet
   * when the version cannot be read: an outage is reported by the reads themselves.
   */
  async checkVersion(): Promise<void> {
    // A read under way or a change of this process brings its own version; during an outage the
    // last good copy serves and reads retry on their own.
    if (this.inFlight || this.changing > 0 || this.outage || !this.loaded) return;
    let version: number | undefined;
    try {
      version = await readConfigurationVersion(this.dataSource);
    } catch (error) {
      this.logger.debug(`Could not read the configuration version: ${describe(error)}`);
      return;
    }
    if (version === this.loadedVersion || this.inFlight || this.changing > 0) return;
    await this.reloadQuietly(`its version moved from ${String(this.loadedVersion)} to ${String(version)}`);
  }

  /**
   * Calls `listener` after each successful read of the tables (a cache built over this one, such
   * as ResourceCatalog's index, drops itself then). Returns the function that stops it.
   */
  onReload(listener: () => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** Drops this instance's copy: the next read re-reads the tables. */
  invalidate(): void {
    this.expiresAt = 0;
  }

  status(): ConfigurationStoreStatus {
    return {
      ...(this.loaded && { loadedAt: this.loaded.loadedAt }),
      ...(this.outage && { outage: { ...this.outage } }),
    };
  }

  /** Re-reads the tables now (one read at a time); during an outage serves the last good copy. */
  async refresh(): Promise<ConfigurationSnapshot> {
    return (await this.load()).snapshot;
  }

  private async current(): Promise<Loaded> {
    if (this.loaded && this.clock.now().getTime() < this.expiresAt) return this.loaded;
    return this.load();
  }

  private load(): Promise<Loaded> {
    this.inFlight ??= this.read().finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  private async read(): Promise<Loaded> {
    try {
      // The version first: a change committed after it is read raises it again, so the poll re-reads.
      const version = await readConfigurationVersion(this.dataSource);
      const snapshot = await readConfigurationTables(this.dataSource);
      const now = this.clock.now();
      this.loaded = { snapshot, clientsById: new Map(snapshot.clients.map((c) => [c.clientId, c])), loadedAt: now };
      this.loadedVersion = version;
      this.expiresAt = now.getTime() + this.config.configuration.cacheDuration;
      this.metrics.recordLoaded();
      for (const listener of this.reloadListeners) listener();
      if (this.outage) {
        this.logger.log(`The configuration store is readable again (unreadable since ${this.outage.since.toISOString()})`);
        this.outage = undefined;
      }
      return this.loaded;
    } catch (error) {
      if (!this.loaded) throw error;
      const now = this.clock.now();
      if (!this.outage) {
        this.outage = { since: now, reason: describe(error) };
        this.logger.error(
          `Cannot read the configuration store (${this.outage.reason}): serving the copy read at ${this.loaded.loadedAt.toISOString()} until the database is back; check DATABASE_URL and the database`,
        );
      }
      this.expiresAt = now.getTime() + CONFIGURATION_RETRY_MS;
      return this.loaded;
    }
  }

  private async onMessage(message: string): Promise<void> {
    let origin: unknown;
    try {
      origin = (JSON.parse(message) as { origin?: unknown }).origin;
    } catch {
      // Anything on our channel means "configuration changed".
    }
    if (origin === this.origin) return;
    await this.reloadQuietly('the configuration changed elsewhere');
  }

  private async reloadQuietly(why: string): Promise<void> {
    this.expiresAt = 0;
    try {
      await this.refresh();
      this.logger.log(`Re-read the configuration store: ${why}`);
    } catch (error) {
      this.logger.error(`Could not re-read the configuration store (${why}): ${describe(error)}`);
    }
  }

  /**
   * Seeds an empty store from CONFIG_FILE, once: on PostgreSQL under a session advisory lock, so
   * instances starting together queue and only the first finds the tables empty; SQLite is one
   * process, where an in-process mutex per DataSource is the lock. The server calls it at
   * start-up; a writing CLI command may call it too.
   */
  async seedIfEmpty(): Promise<void> {
    this.writeAccess?.assertWritable('seed the configuration store');
    const externalProviders = await this.protectedExternalProviders();
    const seed = () => this.dataSource.transaction(async (manager) => {
      if (!await configurationTablesEmpty(manager)) return false;
      await insertConfiguration(manager, this.file.clients, this.file, externalProviders);
      await raiseConfigurationVersion(manager, this.clock.now());
      return true;
    });
    let mutex = SEED_MUTEXES.get(this.dataSource);
    if (!mutex) SEED_MUTEXES.set(this.dataSource, mutex = new ProcessMutex());
    const seeded = await mutex.run(() => (this.dataSource.options.type === 'postgres'
      ? withAdvisoryLock(this.dataSource, 'hashtext($1)', SEED_LOCK, seed)
      : seed()));
    if (seeded) {
      this.logger.log(
        `Seeded the empty configuration store from ${this.config.configFile}: ${this.file.clients.length} clients, `
        + `${this.file.identityResources.length} identity resources, ${this.file.apiScopes.length} API scopes, ${this.file.apiResources.length} API resources, `
        + `${externalProviders.length} external providers`,
      );
    }
  }

  /**
   * The file's external providers with their client secrets protected by data protection, as the
   * tables keep them. Data protection is looked up here, not injected: this store sits below the
   * data-protection module in the composition, and only seeding needs it.
   */
  private async protectedExternalProviders() {
    const providers = this.file.externalProviders;
    if (!providers.some((p) => p.clientSecret)) return providers;
    if (!this.moduleRef) throw new Error('seeding external providers with client secrets needs data protection (ModuleRef)');
    const protector = externalProviderSecretProtector(this.moduleRef.get(DataProtectionProvider, { strict: false }));
    return Promise.all(providers.map((p) => protectExternalProviderSecret(p, protector)));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
