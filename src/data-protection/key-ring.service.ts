import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import { WriteAccess } from '../common/write-access';
import { KEY_SECRET_BYTES, type DataProtectionKey, type DataProtectionKeyMetadata, type KeyMaterialEncryption, type StoredDataProtectionKey } from './data-protection-key';
import { DataProtectionKeyStore } from './data-protection-key.store';
import { KeyMaterialEncryptor } from './key-material.encryptor';
import { keyRingPolicyFor, resolveKeyRing, type KeyRingPolicy, type KeyToCreate } from './key-ring.policy';
import { StartupError } from '../common/startup-error';

/** A payload naming a key we do not have re-reads the store at most this often (a flood of forged ids must not hammer it). */
export const UNKNOWN_KEY_REFRESH_INTERVAL_MS = 5_000;
/** After a failed periodic refresh the cached ring is kept and the store retried this much later. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** Derived subkeys kept in memory; the cache is cleared when it grows past this (purposes are a small fixed set). */
const MAX_CACHED_SUBKEYS = 10_000;

/** Start-up could not load or create the key ring; the message says what to fix. */
export class DataProtectionStartupError extends StartupError {
  constructor(message: string) {
    super(message, {
      // The setting the message names (the master key, a certificate), else the usual culprit.
      setting: /\bDATA_PROTECTION_[A-Z_]+/.exec(message)?.[0] ?? 'DATA_PROTECTION_MASTER_KEY',
      fix: 'start with the DATA_PROTECTION_MASTER_KEY or DATA_PROTECTION_CERTIFICATE (and DATA_PROTECTION_APPLICATION_NAME) the key ring '
        + 'was created with; keep a renewed certificate\'s predecessor in DATA_PROTECTION_UNPROTECT_CERTIFICATES '
        + '(docs/deployment.md#data-protection)',
    });
    this.name = 'DataProtectionStartupError';
  }
}

interface RingState {
  /** unrevoked keys whose secret could be decrypted */
  readonly keys: ReadonlyMap<string, DataProtectionKey>;
  readonly revoked: ReadonlySet<string>;
  readonly defaultKey?: DataProtectionKey;
  /** reload the store at or after this instant (ms): the refresh period or the next key boundary */
  readonly validUntil: number;
}

export type KeyLookup =
  | { readonly found: true; readonly key: DataProtectionKey }
  | { readonly found: false; readonly reason: 'key-not-found' | 'key-revoked' };

/**
 * The in-memory key ring of this instance (ASP.NET Core's KeyRingProvider): loads the store,
 * decrypts secrets once per key, asks resolveKeyRing which key protects and whether to create
 * one (then creates it under the store's lock after re-reading), and re-reads the store every
 * refresh period, at key boundaries, and when a payload names a key it does not know.
 */
@Injectable()
export class KeyRingService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('DataProtection');
  readonly policy: KeyRingPolicy;
  readonly applicationName: string;
  private state?: RingState;
  private initialization?: Promise<RingState>;
  private reloading?: Promise<RingState>;
  private lastUnknownKeyRefresh = Number.NEGATIVE_INFINITY;
  private readonly subkeys = new Map<string, Buffer>();
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: DataProtectionKeyStore,
    private readonly encryptor: KeyMaterialEncryptor,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
    // Read-only (the CLI's read-only commands): the ring is read as it is, never given a key.
    @Optional() private readonly access: WriteAccess = WriteAccess.readWrite,
  ) {
    this.policy = keyRingPolicyFor(config.dataProtection.keyLifetime);
    this.applicationName = config.dataProtection.applicationName;
  }

  /** Where the ring lives and how its secrets are stored (doctor, logs). */
  get location(): string {
    return this.store.location;
  }

  get encryption(): KeyMaterialEncryption {
    return this.encryptor.mode;
  }

  async onModuleInit(): Promise<void> {
    // A read-only reader loads lazily, keeps no timer and has nothing to warn about: it stores nothing.
    if (!this.access.allowed) return;
    if (this.encryptor.mode === 'none') {
      // The ring protects everything else at rest: whoever reads it reads sessions, grants and signing keys.
      this.logger.warn(`Data-protection keys are stored unencrypted at rest in ${this.store.location}: anyone who can read it `
        + '(a backup, a copy of the database or folder) can decrypt sessions, grants and the stored signing keys, and sign tokens. '
        + 'Set DATA_PROTECTION_MASTER_KEY (openssl rand -base64 32) or DATA_PROTECTION_CERTIFICATE with DATA_PROTECTION_CERTIFICATE_KEY '
        + 'to encrypt them (docs/deployment.md#data-protection).');
    }
    await this.initialize();
    // Also refresh without traffic, so successors are made (and others' keys seen) ahead of time.
    // A little jitter keeps instances from reading the store in lockstep.
    const period = Math.round(this.policy.refreshPeriod * (0.9 + Math.random() * 0.2));
    this.refreshTimer = setInterval(() => {
      this.current().catch((error: unknown) => this.logger.error(
        `Refreshing the data-protection key ring failed: ${error instanceof Error ? error.message : String(error)}`));
    }, period);
    this.refreshTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  /** Loads (and if needed creates) the ring once; a broken ring fails with a DataProtectionStartupError. */
  initialize(): Promise<RingState> {
    this.initialization ??= this.load(true).catch((error: unknown) => {
      this.initialization = undefined;
      if (error instanceof DataProtectionStartupError) throw error;
      throw new DataProtectionStartupError(
        `Data protection could not load its key ring from ${this.store.location}: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.initialization;
  }

  /** The key new payloads are protected with. */
  async defaultKey(): Promise<DataProtectionKey> {
    const state = await this.current();
    if (!state.defaultKey) throw new Error('Data protection has no usable key to protect with (see earlier errors)');
    return state.defaultKey;
  }

  /**
   * The default key of the ring as this instance last loaded it, metadata only and without I/O
   * (metrics read it on every scrape); undefined before the ring is loaded or when it has none.
   */
  cachedDefaultKey(): DataProtectionKeyMetadata | undefined {
    const key = this.state?.defaultKey;
    if (!key) return undefined;
    const { id, creationDate, activationDate, expirationDate, revoked } = key;
    return { id, creationDate, activationDate, expirationDate, revoked };
  }

  /** The key a payload names; an unknown id re-reads the store first (another instance may have just made it). */
  async lookup(id: string): Promise<KeyLookup> {
    let state = await this.current();
    if (!state.keys.has(id) && !state.revoked.has(id)) {
      const now = this.clock.now().getTime();
      if (now - this.lastUnknownKeyRefresh >= UNKNOWN_KEY_REFRESH_INTERVAL_MS) {
        this.lastUnknownKeyRefresh = now;
        state = await this.reload();
      }
    }
    const key = state.keys.get(id);
    if (key) return { found: true, key };
    return { found: false, reason: state.revoked.has(id) ? 'key-revoked' : 'key-not-found' };
  }

  /**
   * AES-256 subkey for a key and purpose context (HKDF-SHA256, RFC 5869) of format-1 payloads,
   * cached: those may still be read on hot paths such as reference-token introspection. Format 2
   * derives a key per payload instead (aes-gcm.data-protector.ts).
   */
  subkey(key: DataProtectionKey, context: Buffer, contextId: string): Buffer {
    const cacheKey = `${key.id}\u0000${contextId}`;
    let subkey = this.subkeys.get(cacheKey);
    if (!subkey) {
      if (this.subkeys.size >= MAX_CACHED_SUBKEYS) this.subkeys.clear();
      subkey = Buffer.from(hkdfSync('sha256', key.secret, Buffer.alloc(0), context, 32));
      this.subkeys.set(cacheKey, subkey);
    }
    return subkey;
  }

  /** Every key in the store (revoked included), metadata only, freshly read: for the CLI and the doctor. */
  async listKeys(): Promise<{ keys: DataProtectionKeyMetadata[]; defaultKeyId?: string }> {
    const stored = await this.store.loadAll();
    const state = await this.reload();
    return {
      keys: stored.map(({ id, creationDate, activationDate, expirationDate, revoked }) => ({ id, creationDate, activationDate, expirationDate, revoked })),
      defaultKeyId: state.defaultKey?.id,
    };
  }

  /** Revokes a key: it no longer unprotects anywhere once instances refresh; a new default is made if needed. */
  async revokeKey(id: string): Promise<boolean> {
    this.access.assertWritable('revoke a data-protection key');
    const revoked = await this.store.revoke(id);
    if (revoked) {
      this.logger.warn(`Revoked data-protection key ${id}`);
      await this.reload();
    }
    return revoked;
  }

  /** Re-reads the store now (shared by concurrent callers). */
  reload(): Promise<RingState> {
    this.reloading ??= this.load(false).then(
      (state) => {
        this.reloading = undefined;
        return state;
      },
      (error: unknown) => {
        this.reloading = undefined;
        return this.keepCachedRing(error);
      },
    );
    return this.reloading;
  }

  private async current(): Promise<RingState> {
    const state = this.state ?? await this.initialize();
    return this.clock.now().getTime() < state.validUntil ? state : this.reload();
  }

  /** A store outage must not take protection down while the cached ring is still good. */
  private keepCachedRing(error: unknown): RingState {
    const reason = error instanceof Error ? error.message : String(error);
    if (!this.state) throw error;
    this.logger.error(`Refreshing the data-protection key ring from ${this.store.location} failed, keeping the cached ring: ${reason}`);
    const now = this.clock.now();
    const keys = [...this.state.keys.values()];
    const { defaultKey } = resolveKeyRing(keys, now, this.policy);
    this.state = { ...this.state, defaultKey, validUntil: now.getTime() + Math.min(RETRY_AFTER_FAILURE_MS, this.policy.refreshPeriod) };
    return this.state;
  }

  private async load(strict: boolean): Promise<RingState> {
    let ring = await this.decryptAll(await this.store.loadAll(), strict);
    let resolution = resolveKeyRing([...ring.keys.values()], this.clock.now(), this.policy);
    // Read-only: an empty or expiring ring stays as it is (defaultKey() then fails; reading still works).
    if (resolution.keyToCreate && this.access.allowed) {
      // Re-decide under the lock: another instance may have created the key meanwhile.
      await this.store.withCreationLock(async () => {
        ring = await this.decryptAll(await this.store.loadAll(), strict);
        const now = this.clock.now();
        resolution = resolveKeyRing([...ring.keys.values()], now, this.policy);
        if (!resolution.keyToCreate) return;
        const created = await this.createKey(resolution.keyToCreate, now);
        ring.keys.set(created.id, created);
        resolution = resolveKeyRing([...ring.keys.values()], now, this.policy);
      });
    }
    const now = this.clock.now().getTime();
    const validUntil = Math.min(now + this.policy.refreshPeriod, resolution.reconsiderAt?.getTime() ?? Number.POSITIVE_INFINITY);
    this.state = { keys: ring.keys, revoked: ring.revoked, defaultKey: resolution.defaultKey, validUntil };
    return this.state;
  }

  private async decryptAll(stored: readonly StoredDataProtectionKey[], strict: boolean): Promise<{ keys: Map<string, DataProtectionKey>; revoked: Set<string> }> {
    const keys = new Map<string, DataProtectionKey>();
    const revoked = new Set<string>();
    for (const entry of stored) {
      if (entry.revoked) {
        revoked.add(entry.id);
        continue;
      }
      // A key's secret never changes: decrypt it once per process.
      const known = this.state?.keys.get(entry.id);
      if (known) {
        keys.set(entry.id, { ...known, activationDate: entry.activationDate, expirationDate: entry.expirationDate });
        continue;
      }
      try {
        const secret = await this.encryptor.decrypt(entry);
        keys.set(entry.id, {
          id: entry.id, creationDate: entry.creationDate, activationDate: entry.activationDate,
          expirationDate: entry.expirationDate, revoked: false, secret,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // At start-up a key we cannot read is fatal: running on would silently orphan its payloads.
        if (strict) throw new DataProtectionStartupError(`Data protection cannot start: ${message}`);
        this.logger.error(`Skipping data-protection key ${entry.id}: ${message}`);
      }
    }
    return { keys, revoked };
  }

  private async createKey(dates: KeyToCreate, now: Date): Promise<DataProtectionKey> {
    this.access.assertWritable('create a data-protection key');
    const id = randomUUID();
    const secret = randomBytes(KEY_SECRET_BYTES);
    const { encryption, keyMaterial } = await this.encryptor.encrypt(id, secret);
    const key: StoredDataProtectionKey = {
      id, creationDate: now, activationDate: dates.activationDate, expirationDate: dates.expirationDate,
      revoked: false, encryption, keyMaterial,
    };
    await this.store.add(key);
    this.logger.log(`Created data-protection key ${id} in ${this.store.location} (active ${dates.activationDate.toISOString()}, `
      + `expires ${dates.expirationDate.toISOString()}, encryption at rest: ${encryption})`);
    return { id, creationDate: now, activationDate: dates.activationDate, expirationDate: dates.expirationDate, revoked: false, secret };
  }
}
