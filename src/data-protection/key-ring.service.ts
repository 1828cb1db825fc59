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
import { DependencyUnavailableError } from '../common/dependency-unavailable';

/** A payload naming a key we do not have re-reads the store at most this often (a flood of forged ids must not hammer it). */
export const UNKNOWN_KEY_REFRESH_INTERVAL_MS = 5_000;
/** After a failed periodic refresh the cached ring is kept and the store retried this much later. */
const RETRY_AFTER_FAILURE_MS = 30_000;
/** Derived subkeys kept in memory; the cache is cleared when it grows past this (purposes are a small fixed set). */
const MAX_CACHED_SUBKEYS = 10_000;

/** What to change when stored ring keys cannot be decrypted (logs, the doctor). */
export const UNREADABLE_RING_FIX = 'start every instance with the DATA_PROTECTION_MASTER_KEY or DATA_PROTECTION_CERTIFICATE the key ring '
  + 'was encrypted with (keep a renewed certificate\'s predecessor in DATA_PROTECTION_UNPROTECT_CERTIFICATES), and the same '
  + 'DATA_PROTECTION_APPLICATION_NAME (docs/deployment.md#data-protection)';

/** A stored, unrevoked ring key whose secret this instance cannot decrypt. */
export interface UnreadableRingKey {
  readonly id: string;
  /** names the key and the setting that would open it */
  readonly message: string;
}

/**
 * Start-up could not read the key ring's store or create its first key; the message says what to
 * fix. (Keys it cannot decrypt do not stop start-up: the ring is then on hold, see KeyRingService.)
 */
export class DataProtectionStartupError extends StartupError {
  constructor(message: string) {
    super(message, {
      // The setting the message names, else where the ring lives.
      setting: /\bDATA_PROTECTION_[A-Z_]+/.exec(message)?.[0] ?? 'DATA_PROTECTION_KEY_STORE',
      fix: 'make the data-protection key store readable and writable by this instance (DATA_PROTECTION_KEY_STORE with DATABASE_URL, '
        + 'DATA_PROTECTION_KEY_PATH or REDIS_URL) (docs/deployment.md#data-protection)',
    });
    this.name = 'DataProtectionStartupError';
  }
}

interface RingState {
  /** unrevoked keys whose secret could be decrypted */
  readonly keys: ReadonlyMap<string, DataProtectionKey>;
  readonly revoked: ReadonlySet<string>;
  /** unrevoked keys whose secret could not be decrypted: id → why (the ring is then on hold) */
  readonly unreadable: ReadonlyMap<string, string>;
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
 *
 * On hold (docs/deployment.md#data-protection): while a stored, unrevoked key cannot be decrypted
 * (another master key or certificate), the instance still starts and unprotects with the keys it
 * can read, but never creates a key (its payloads would be unreadable to the rest of the fleet);
 * protecting without a usable default key throws DependencyUnavailableError (503). The cause is
 * logged once per refresh check.
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
  /** when the hold was last logged, and for which keys (one line per refresh check, not per request) */
  private lastHoldLog?: { readonly at: number; readonly ids: string };

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

  /** Loads (and if needed creates) the ring once; a store that cannot be read fails with a DataProtectionStartupError. */
  initialize(): Promise<RingState> {
    this.initialization ??= this.load().catch((error: unknown) => {
      this.initialization = undefined;
      if (error instanceof DataProtectionStartupError) throw error;
      throw new DataProtectionStartupError(
        `Data protection could not load its key ring from ${this.store.location}: ${error instanceof Error ? error.message : String(error)}`);
    });
    return this.initialization;
  }

  /** The key new payloads are protected with; DependencyUnavailableError (503) when the ring has none it can use. */
  async defaultKey(): Promise<DataProtectionKey> {
    const state = await this.current();
    if (!state.defaultKey) {
      const why = state.unreadable.size > 0
        ? `its stored keys cannot be decrypted (${[...state.unreadable.keys()].join(', ')}); ${UNREADABLE_RING_FIX}`
        : 'the key ring is empty or expired and this process may not create a key';
      throw new DependencyUnavailableError('key-ring', `Data protection has no usable key to protect with: ${why}`);
    }
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

  /** Stored, unrevoked keys whose secret could not be decrypted at the last read (health, doctor, KeyManager). */
  getUnreadableKeys(): readonly UnreadableRingKey[] {
    return [...(this.state?.unreadable ?? new Map<string, string>()).entries()].map(([id, message]) => ({ id, message }));
  }

  /** Every application name with keys in this ring's backend, ours included (doctor, KeyManager's diagnosis). */
  applicationNames(): Promise<string[]> {
    return this.store.applicationNames();
  }

  /** The key a payload names; an unknown id re-reads the store first (another instance may have just made it). */
  async lookup(id: string): Promise<KeyLookup> {
    let state = await this.current();
    // A key known to be unreadable stays so until the settings change: no store read per payload.
    if (!state.keys.has(id) && !state.revoked.has(id) && !state.unreadable.has(id)) {
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
    this.reloading ??= this.load().then(
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

  private async load(): Promise<RingState> {
    let ring = await this.decryptAll(await this.store.loadAll());
    let resolution = resolveKeyRing([...ring.keys.values()], this.clock.now(), this.policy);
    // Read-only: an empty or expiring ring stays as it is (defaultKey() then fails; reading still works).
    // On hold (keys we cannot decrypt): a key made now would protect payloads the rest of the fleet cannot read.
    if (resolution.keyToCreate && this.access.allowed && ring.unreadable.size === 0) {
      // Re-decide under the lock: another instance may have created the key meanwhile.
      await this.store.withCreationLock(async () => {
        ring = await this.decryptAll(await this.store.loadAll());
        const now = this.clock.now();
        resolution = resolveKeyRing([...ring.keys.values()], now, this.policy);
        if (!resolution.keyToCreate || ring.unreadable.size > 0) return;
        const created = await this.createKey(resolution.keyToCreate, now);
        ring.keys.set(created.id, created);
        resolution = resolveKeyRing([...ring.keys.values()], now, this.policy);
      });
    }
    const now = this.clock.now().getTime();
    const validUntil = Math.min(now + this.policy.refreshPeriod, resolution.reconsiderAt?.getTime() ?? Number.POSITIVE_INFINITY);
    this.state = { keys: ring.keys, revoked: ring.revoked, unreadable: ring.unreadable, defaultKey: resolution.defaultKey, validUntil };
    this.reportHold(ring.unreadable, resolution.keyToCreate !== undefined);
    return this.state;
  }

  /** One error line per refresh check while keys cannot be decrypted (or when the set changes), one line when it ends. */
  private reportHold(unreadable: ReadonlyMap<string, string>, wantedKey: boolean): void {
    const now = this.clock.now().getTime();
    if (unreadable.size === 0) {
      if (this.lastHoldLog) this.logger.log(`The data-protection key ring of "${this.applicationName}" in ${this.store.location} can be read again`);
      this.lastHoldLog = undefined;
      return;
    }
    const ids = [...unreadable.keys()].sort().join(', ');
    if (this.lastHoldLog?.ids === ids && now - this.lastHoldLog.at < this.policy.refreshPeriod) return;
    this.lastHoldLog = { at: now, ids };
    const [firstMessage] = unreadable.values();
    this.logger.error(`Data-protection key ring of "${this.applicationName}" in ${this.store.location} is on hold: `
      + `${unreadable.size} stored key(s) cannot be decrypted (${ids}): ${firstMessage}. `
      + `This instance creates no data-protection key while this lasts${wantedKey ? ' (one is due)' : ''}; `
      + `requests that must protect data without a usable key answer 503. Fix: ${UNREADABLE_RING_FIX}`);
  }

  private async decryptAll(stored: readonly StoredDataProtectionKey[]): Promise<{
    keys: Map<string, DataProtectionKey>; revoked: Set<string>; unreadable: Map<string, string>;
  }> {
    const keys = new Map<string, DataProtectionKey>();
    const revoked = new Set<string>();
    const unreadable = new Map<string, string>();
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
        // Not fatal: the instance starts on hold and reports it (reportHold, the doctor).
        unreadable.set(entry.id, error instanceof Error ? error.message : String(error));
      }
    }
    return { keys, revoked, unreadable };
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
