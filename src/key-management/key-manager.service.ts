import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type SigningAlgorithm } from '../config/app-config';
import { Clock } from '../common/clock';
import { WriteAccess } from '../common/write-access';
import { DataProtectionProvider, type DataProtector, UnprotectError } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { KeyRingService } from '../data-protection/key-ring.service';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import type { SerializedSigningKey } from '../stores/models';
import { SigningKeyStore } from '../stores/signing-key.store';
import { decideKeys, type KeyDecision, type KeyInfo, type KeyLifecycleOptions, type KeyPhase } from './key-lifecycle';
import { findWaitingKeys, planKeySteps, type KeyPlanStep, type WaitingKey } from './key-plan';
import { KeySetNotifier, type KeySetNotice } from './key-set-notifier.service';
import {
  generateSigningKey, importSigningKeyPayload, KID_PATTERN, type LoadedSigningKey, type SigningKeyPayload,
} from './signing-key-material';
import {
  SigningKeysOnHoldError, unreadableKeyFix, type UnreadableKeyCause, type UnreadableSigningKey,
} from './unreadable-signing-key';

const PAYLOAD_VERSION = 1;
/** How soon to look again when an algorithm has no signing key or the store failed. */
const STORE_RETRY_MS = 1000;
const SUCCESSOR_LEAD_SLACK_MS = 1000;
/** While on hold the store is re-read at most this often on the request path (a hold can end: another ring key appears). */
const HOLD_RETRY_MS = 60_000;

/** What this instance knows of a stored key it cannot read. */
interface UnreadableEntry extends UnreadableSigningKey {
  readonly created: Date;
  /** the stored payload that failed: the same payload is not unprotected again */
  readonly data: string;
  /** the data-protection key the payload names, when that key was missing from the ring */
  readonly dataProtectionKeyId?: string;
}

/** A managed key as the decision sees it, with its imported material. */
export interface ManagedKey extends KeyInfo {
  readonly material: LoadedSigningKey;
}

/** The cached key set of this instance. */
export interface ManagedKeySet {
  readonly decision: KeyDecision<ManagedKey>;
  /** kids of the published keys, in order: changes exactly when JWKS changes */
  readonly fingerprint: string;
  readonly loadedAt: Date;
  /** re-read the store from this instant (cache duration, or an earlier phase boundary) */
  readonly validUntil: Date;
}

/** One row of `keys list` (docs/cli.md). */
export interface KeyListEntry {
  readonly kid: string;
  readonly alg: string;
  readonly created: Date;
  readonly phase: KeyPhase;
  readonly nextPhaseAt?: Date;
  readonly x509: boolean;
  /** false when this instance cannot unprotect or import it */
  readonly readable: boolean;
}

/** What `rotate` did: the kids it created, the algorithms it left alone, and what the other instances were told. */
export interface RotationResult {
  readonly created: readonly string[];
  /** algorithms skipped (without --force) because a key of theirs is already announced and waiting */
  readonly skipped: readonly WaitingKey[];
  /** absent when no notifier is bound (unit specs) */
  readonly notice?: KeySetNotice;
}

/** `keys rotate` without --force while every algorithm has a key waiting out its propagation time (docs/cli.md). */
export class KeyAlreadyWaitingError extends Error {
  constructor(readonly waiting: readonly WaitingKey[]) {
    super(`${waiting.map((w) => `${w.alg} key ${w.kid} is already announced and signs from ${w.signsAt.toISOString()}`).join('; ')}: `
      + 'not announcing a second key (run `keys rotate --force` to announce one anyway)');
    this.name = 'KeyAlreadyWaitingError';
  }
}

/**
 * Duende's KeyManager: reads the store, asks the pure `decideKeys` what to do, and does the
 * I/O (create, delete, protect, cache). Creation runs under the store's exclusive lock and
 * re-reads the store inside it, so instances sharing a store never create keys twice.
 *
 * On hold (docs/deployment.md#signing-keys-on-hold): while a stored key that is not yet expired
 * cannot be unprotected or imported (another application name, master key or certificate), or
 * the data-protection ring itself cannot be read, the instance creates no key, deletes none and
 * so changes no stored key's dates; it serves with the keys it can read and logs the cause once per check.
 */
@Injectable()
export class KeyManager implements OnModuleInit {
  private readonly logger = new Logger(KeyManager.name);
  private readonly options: KeyLifecycleOptions;
  private readonly x509Algorithms: ReadonlySet<SigningAlgorithm>;
  /** imported once per kid (keys never change once written) */
  private readonly imported = new Map<string, LoadedSigningKey>();
  /** kid → why it cannot be read, as of the last read of the store */
  private readonly unreadable = new Map<string, UnreadableEntry>();
  private protector?: DataProtector;
  private current?: ManagedKeySet;
  private loading?: Promise<ManagedKeySet>;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly protection: DataProtectionProvider,
    // Read-only (the CLI's read-only commands): listKeys only; nothing is created or deleted.
    @Optional() private readonly access: WriteAccess = WriteAccess.readWrite,
    // Explains unreadable keys (which application names hold rings, which ring keys cannot be decrypted).
    @Optional() private readonly ring?: KeyRingService,
    // Tells the other instances (and its own listener skips) when this one writes the store.
    @Optional() private readonly notifier?: KeySetNotifier,
  ) {
    const km = config.keyManagement;
    this.options = {
      rotationInterval: km.rotationInterval,
      propagationTime: km.propagationTime,
      retentionDuration: km.retentionDuration,
      deleteRetiredKeys: km.deleteRetiredKeys,
      algorithms: km.signingAlgorithms.map((a) => a.alg),
      // One check interval (plus key generation time) early: a successor made by a check that
      // runs late is still announced a full propagation time before its predecessor retires.
      successorLeadTime: Math.min(km.checkInterval + SUCCESSOR_LEAD_SLACK_MS, Math.floor((km.rotationInterval - km.propagationTime) / 2)),
    };
    this.x509Algorithms = new Set(km.signingAlgorithms.filter((a) => a.x509).map((a) => a.alg));
  }

  get enabled(): boolean {
    return this.config.keyManagement.enabled;
  }

  /** Keys exist before the first request: the first token can be signed at once. */
  async onModuleInit(): Promise<void> {
    if (!this.access.allowed) return;
    try {
      await this.ensureKeys();
    } catch (error) {
      // Data protection on hold (a ring it cannot decrypt, already logged): start and answer 503, as the ring does.
      if (!(error instanceof DependencyUnavailableError)) throw error;
      this.logger.error(`No signing key could be loaded or created at start-up: ${error.message}`);
    }
  }

  /**
   * The current key set (hot path: no I/O while the cache is valid). Re-reads the store when the
   * cache duration or a phase boundary of a cached key has passed, or soon when an algorithm has
   * no signing key; creates what is due on the way (like Duende, not only on the schedule).
   */
  async getKeySet(): Promise<ManagedKeySet> {
    const now = this.clock.now();
    if (this.current && now < this.current.validUntil) return this.current;
    this.loading ??= this.refreshKeySet().finally(() => { this.loading = undefined; });
    return this.loading;
  }

  /**
   * The scheduled work (KeyRotationService) and start-up: creates first keys and successors,
   * deletes expired keys, and refreshes this instance's cache. Returns the kids created.
   */
  async ensureKeys(): Promise<readonly string[]> {
    this.access.assertWritable('create or delete signing keys');
    if (!this.enabled) {
      // Static keys only: managed keys in the store are neither read nor published.
      this.current = this.buildSet(this.decideReadable([]));
      return [];
    }
    const outside = this.decide(await this.readStore());
    const hold = this.holdReason();
    if (hold) {
      this.reportHold(hold, outside.decision);
      this.current = this.buildSet(outside.decision, true);
      return [];
    }
    let created: string[] = [];
    if (outside.toCreate.length > 0) {
      created = await this.store.withExclusiveLock(async () => {
        // Re-read inside the lock: another instance may have created the key meanwhile.
        const inside = this.decide(await this.readStore());
        if (this.holdReason()) return [];
        const made: string[] = [];
        for (const alg of inside.toCreate) made.push(await this.createKey(alg));
        return made;
      });
    }
    for (const key of outside.toDelete) {
      await this.store.deleteKey(key.id);
      this.imported.delete(key.id);
      this.unreadable.delete(key.id);
      this.logger.log(`Deleted expired signing key ${key.id} (${key.algorithm})`);
    }
    // After the lock another instance may have created what we wanted: read what is there now.
    const changed = outside.toCreate.length > 0 || outside.toDelete.length > 0;
    this.current = this.buildSet(changed ? this.decideReadable((await this.readStore()).readable) : outside.decision);
    if (created.length > 0 || outside.toDelete.length > 0) await this.notifier?.keysChanged({ created, deleted: outside.toDelete.map((k) => k.id) });
    return created;
  }

  /**
   * Forgets the cached key set: the next getKeySet re-reads the store. For a change made
   * elsewhere (another instance, the CLI); the cached set stays the fallback if the store is down.
   */
  invalidate(): void {
    if (this.current) this.current = { ...this.current, validUntil: new Date(0) };
  }

  /** invalidate, then re-read now, so JWKS shows the change without waiting for a request. */
  async refresh(): Promise<ManagedKeySet> {
    this.invalidate();
    // A read already in flight may have started before the change: let it finish, then read again.
    await this.loading?.catch(() => undefined);
    this.invalidate();
    return this.getKeySet();
  }

  private async refreshKeySet(): Promise<ManagedKeySet> {
    try {
      await this.ensureKeys();
    } catch (error) {
      // A store outage must not stop signing with the keys we already hold.
      if (!this.current) throw error;
      this.logger.error(`Could not refresh signing keys, using the cached set: ${error instanceof Error ? error.message : String(error)}`);
      // Phases still move on with time (docs/deployment.md, "Signing keys"): a cached successor takes over when due,
      // and a key older than the rotation interval stops signing even while the store is down.
      const cached = this.current.decision.statuses.map((s) => s.key);
      this.current = { ...this.buildSet(this.decideReadable(cached)), validUntil: new Date(this.clock.now().getTime() + STORE_RETRY_MS) };
    }
    if (!this.current) throw new Error('signing keys were not loaded');
    return this.current;
  }

  /** Announces a new key now for every managed algorithm, even when one is already waiting (`rotate({ force: true })`). */
  async rotateNow(): Promise<readonly string[]> {
    return (await this.rotate({ force: true })).created;
  }

  /**
   * `keys rotate`: announce a new key now for every managed algorithm; it signs after the
   * propagation time. Without `force`, an algorithm that already has an announced key waiting
   * is skipped (listed in `skipped`), and KeyAlreadyWaitingError is thrown (creating nothing)
   * when every algorithm has one — checked inside the lock, so two concurrent runs cannot both
   * announce one. Tells the other instances.
   */
  async rotate(options: { readonly force?: boolean } = {}): Promise<RotationResult> {
    if (!this.enabled) throw new Error('Automatic key management is disabled (KEY_MANAGEMENT_ENABLED=false)');
    this.access.assertWritable('rotate signing keys');
    const created = await this.store.withExclusiveLock(async () => {
      // A key announced by an instance that cannot read the others would change the fleet's keys.
      const { rows } = await this.readStore();
      const hold = this.holdReason();
      if (hold) throw hold.keys.length > 0 ? new SigningKeysOnHoldError(hold.keys) : new DependencyUnavailableError('key-ring', hold.ring ?? '');
      // A second waiting key of one algorithm would take over from the first as soon as its own
      // propagation time has passed, so the first would sign briefly or not at all: without
      // --force, an algorithm that already has a key waiting is left alone.
      const waiting = options.force ? [] : findWaitingKeys(rows.map((r) => ({ id: r.id, algorithm: r.algorithm, created: r.created })), this.clock.now(), this.options);
      const toAnnounce = this.options.algorithms.filter((alg) => !waiting.some((w) => w.alg === alg));
      if (toAnnounce.length === 0) throw new KeyAlreadyWaitingError(waiting);
      const made: string[] = [];
      for (const alg of toAnnounce) made.push(await this.createKey(alg));
      return { made, skipped: waiting.filter((w) => this.options.algorithms.includes(w.alg as SigningAlgorithm)) };
    });
    this.current = this.buildSet(this.decideReadable((await this.readStore()).readable));
    const notice = await this.notifier?.keysChanged({ created: created.made, deleted: [] });
    return { created: created.made, skipped: created.skipped, notice };
  }

  /**
   * `keys plan`: the manual steps and when each is safe, from the stored keys' clear metadata
   * (read-only; unreadable keys included). `longestTokenLifetime` in ms.
   */
  async plan(longestTokenLifetime: number): Promise<readonly KeyPlanStep[]> {
    const rows = await this.store.loadKeys();
    const keys = rows.map((r): KeyInfo => ({ id: r.id, algorithm: r.algorithm, created: r.created }));
    return planKeySteps(keys, this.clock.now(), { ...this.options, keyCacheDuration: this.config.keyManagement.keyCacheDuration, longestTokenLifetime });
  }

  /** Every stored key with its phase (`keys list`), including keys this instance cannot read. */
  async listKeys(): Promise<readonly KeyListEntry[]> {
    const rows = await this.store.loadKeys();
    const readable = await this.readRows(rows);
    const decision = decideKeys(readable, this.clock.now(), this.options);
    const entries: KeyListEntry[] = decision.statuses.map((s) => ({
      kid: s.key.id,
      alg: s.key.algorithm,
      created: s.key.created,
      phase: s.phase,
      nextPhaseAt: s.nextPhaseAt,
      x509: s.key.material.x509,
      readable: true,
    }));
    // Keys this instance cannot read: the phase they would have, flagged (doctor, health).
    const readableIds = new Set(readable.map((k) => k.id));
    const unreadable = rows.filter((r) => !readableIds.has(r.id));
    if (unreadable.length > 0) {
      const all = decideKeys(rows.map((r) => ({ id: r.id, algorithm: r.algorithm, created: r.created, x509: r.isX509Certificate })), this.clock.now(), this.options);
      for (const s of all.statuses.filter((st) => !readableIds.has(st.key.id))) {
        entries.push({ kid: s.key.id, alg: s.key.algorithm, created: s.key.created, phase: s.phase, nextPhaseAt: s.nextPhaseAt, x509: s.key.x509, readable: false });
      }
    }
    const rank = (alg: string) => this.options.algorithms.indexOf(alg as SigningAlgorithm);
    return entries.sort((a, b) => a.created.getTime() - b.created.getTime() || rank(a.alg) - rank(b.alg));
  }

  /**
   * Stored keys, not yet expired by their clear metadata, that could not be unprotected or
   * imported at the last read of the store (health, doctor; `listKeys` reads afresh). Any of them
   * puts the instance on hold.
   */
  getUnreadableKeys(): readonly UnreadableSigningKey[] {
    const t = this.clock.now().getTime();
    const end = this.options.rotationInterval + this.options.retentionDuration;
    return [...this.unreadable.values()]
      .filter((k) => t < k.created.getTime() + end)
      .map(({ kid, alg, cause, message }) => ({ kid, alg, cause, message }));
  }

  /** Kids of {@link getUnreadableKeys}. */
  getUnreadableKeyIds(): readonly string[] {
    return this.getUnreadableKeys().map((k) => k.kid);
  }

  /** True while this instance may not create or delete keys (see the class comment). */
  get onHold(): boolean {
    return this.holdReason() !== undefined;
  }

  /** Configured managed algorithms without a signing key in this key set. */
  missingAlgorithms(set: ManagedKeySet): SigningAlgorithm[] {
    return this.options.algorithms.filter((alg) => !set.decision.signingKeys.has(alg));
  }

  private decideReadable(readable: readonly ManagedKey[]): KeyDecision<ManagedKey> {
    return decideKeys(readable, this.clock.now(), this.options);
  }

  /** Why creation and deletion are suspended now, if they are: unreadable signing keys, or a ring it cannot decrypt. */
  private holdReason(): { keys: readonly UnreadableSigningKey[]; ring?: string } | undefined {
    const keys = this.getUnreadableKeys();
    const ringKeys = this.config.keyManagement.dataProtectKeys ? this.ring?.getUnreadableKeys() ?? [] : [];
    if (keys.length === 0 && ringKeys.length === 0) return undefined;
    const ring = ringKeys.length > 0
      ? `the data-protection key ring cannot decrypt ${ringKeys.map((k) => k.id).join(', ')} (${ringKeys[0].message})`
      : undefined;
    return { keys, ring };
  }

  /** One error line per check while on hold: the keys, the likely cause and the setting to fix. */
  private reportHold(hold: { keys: readonly UnreadableSigningKey[]; ring?: string }, decision: KeyDecision<ManagedKey>): void {
    const byCause = new Map<UnreadableKeyCause, UnreadableSigningKey[]>();
    for (const key of hold.keys) byCause.set(key.cause, [...(byCause.get(key.cause) ?? []), key]);
    const causes = [...byCause.entries()].map(([cause, keys]) => `${CAUSE_LABELS[cause]}: `
      + `${keys.map((k) => `${k.kid} (${k.alg})`).join(', ')}: ${keys[0].message}. Fix: ${unreadableKeyFix(cause)}`);
    if (hold.ring) causes.push(`${hold.ring}. Fix: ${unreadableKeyFix('master-key-or-certificate')}`);
    const signing = decision.signingKeys.size;
    this.logger.error(`Signing keys on hold: this instance cannot read ${hold.keys.length} stored signing key(s) that are not yet expired`
      + `${hold.ring && hold.keys.length === 0 ? ' (its data-protection key ring is on hold)' : ''}. It creates no signing key, deletes none `
      + `and changes no stored key's dates while this lasts; it serves with the ${decision.published.length} key(s) it can read`
      + `${signing === 0 ? ' (none can sign: token requests answer 503)' : ''}. ${causes.join(' ')} (docs/deployment.md#signing-keys-on-hold)`);
  }

  private buildSet(decision: KeyDecision<ManagedKey>, onHold = false): ManagedKeySet {
    const now = this.clock.now();
    let validUntil = now.getTime() + this.config.keyManagement.keyCacheDuration;
    if (decision.nextChangeAt) validUntil = Math.min(validUntil, decision.nextChangeAt.getTime());
    if (onHold) validUntil = Math.min(validUntil, now.getTime() + Math.min(HOLD_RETRY_MS, this.config.keyManagement.checkInterval));
    const set: ManagedKeySet = {
      decision,
      fingerprint: decision.published.map((k) => k.id).join(','),
      loadedAt: now,
      validUntil: new Date(validUntil),
    };
    if (this.enabled && !onHold && this.missingAlgorithms(set).length > 0) {
      set.validUntil.setTime(Math.min(validUntil, now.getTime() + STORE_RETRY_MS));
    }
    return set;
  }

  private async readStore(): Promise<{ rows: readonly SerializedSigningKey[]; readable: ManagedKey[] }> {
    const rows = await this.store.loadKeys();
    return { rows, readable: await this.readRows(rows) };
  }

  /**
   * Readable keys decide signing, publishing and creation (unreadable ones put the instance on
   * hold first: see ensureKeys); expiry is decided on every row's clear metadata, so expired
   * unreadable keys are still cleaned up.
   */
  private decide(state: { rows: readonly SerializedSigningKey[]; readable: ManagedKey[] }): {
    decision: KeyDecision<ManagedKey>; toCreate: readonly SigningAlgorithm[]; toDelete: readonly KeyInfo[];
  } {
    const now = this.clock.now();
    const info = (r: SerializedSigningKey): KeyInfo => ({ id: r.id, algorithm: r.algorithm, created: r.created });
    const decision = decideKeys(state.readable, now, this.options);
    const toDelete = decideKeys(state.rows.map(info), now, this.options).toDelete;
    return { decision, toCreate: decision.toCreate, toDelete };
  }

  private async readRows(rows: readonly SerializedSigningKey[]): Promise<ManagedKey[]> {
    const keys: ManagedKey[] = [];
    const present = new Set(rows.map((r) => r.id));
    for (const kid of [...this.imported.keys()]) if (!present.has(kid)) this.imported.delete(kid);
    for (const kid of [...this.unreadable.keys()]) if (!present.has(kid)) this.unreadable.delete(kid);
    // Asked at most once per read, and only when a key names a data-protection key the ring lacks.
    let otherNames: Promise<string[]> | undefined;
    const otherApplicationNames = () => (otherNames ??= this.otherApplicationNames());
    for (const row of rows) {
      const material = await this.importRow(row, otherApplicationNames);
      if (material) keys.push({ id: row.id, algorithm: row.algorithm, created: row.created, material });
    }
    return keys;
  }

  private async importRow(row: SerializedSigningKey, otherApplicationNames: () => Promise<string[]>): Promise<LoadedSigningKey | undefined> {
    const cached = this.imported.get(row.id);
    if (cached) return cached;
    if (!(await this.worthRetrying(row))) return undefined;
    try {
      const json = row.dataProtected ? await this.getProtector().unprotect(row.data) : row.data;
      const payload = JSON.parse(json) as SigningKeyPayload;
      if (payload.kid !== row.id || payload.alg !== row.algorithm) throw new Error('key data does not match its kid or algorithm');
      const material = await importSigningKeyPayload(payload);
      this.imported.set(row.id, material);
      this.unreadable.delete(row.id);
      return material;
    } catch (error) {
      // Never crash on one bad key: skip it and record why (the hold line, health, doctor).
      const diagnosis = await this.diagnose(error, otherApplicationNames);
      this.unreadable.set(row.id, { kid: row.id, alg: row.algorithm, created: row.created, data: row.data, ...diagnosis });
      return undefined;
    }
  }

  /**
   * A payload that failed is tried again only when it changed or the data-protection key it
   * names has appeared in the ring since: unprotecting it again would only log the same failure.
   */
  private async worthRetrying(row: SerializedSigningKey): Promise<boolean> {
    const known = this.unreadable.get(row.id);
    if (!known || known.data !== row.data || !this.ring) return true;
    if (known.dataProtectionKeyId === undefined) return false;
    try {
      return (await this.ring.lookup(known.dataProtectionKeyId)).found;
    } catch {
      // The ring's store is unreachable: keep the key as unreadable; the next check asks again.
      return false;
    }
  }

  /** The likely cause of a failed unprotect or import (docs/deployment.md#signing-keys-on-hold). */
  private async diagnose(error: unknown, otherApplicationNames: () => Promise<string[]>): Promise<{
    cause: UnreadableKeyCause; message: string; dataProtectionKeyId?: string;
  }> {
    const message = error instanceof UnprotectError ? `${error.reason}: ${error.message}` : error instanceof Error ? error.message : String(error);
    if (!(error instanceof UnprotectError) || error.reason !== 'key-not-found' || error.keyId === undefined) {
      return { cause: 'tampered-or-other', message };
    }
    const dataProtectionKeyId = error.keyId;
    const ringKey = this.ring?.getUnreadableKeys().find((k) => k.id === dataProtectionKeyId);
    if (ringKey) {
      return { cause: 'master-key-or-certificate', dataProtectionKeyId, message: `its data-protection key ${dataProtectionKeyId} is in the key ring `
        + `of "${this.ring?.applicationName}" but cannot be decrypted: ${ringKey.message}` };
    }
    const others = await otherApplicationNames();
    if (others.length > 0) {
      return { cause: 'application-name', dataProtectionKeyId, message: `its data-protection key ${dataProtectionKeyId} is not in the key ring `
        + `of "${this.ring?.applicationName}" (DATA_PROTECTION_APPLICATION_NAME), and the data-protection key store holds key rings `
        + `made under ${others.map((n) => `"${n}"`).join(', ')}` };
    }
    return { cause: 'tampered-or-other', dataProtectionKeyId, message };
  }

  /** Application names other than ours with keys in the data-protection key store (none when it cannot be asked). */
  private async otherApplicationNames(): Promise<string[]> {
    if (!this.ring) return [];
    try {
      return (await this.ring.applicationNames()).filter((name) => name !== this.ring?.applicationName);
    } catch (error) {
      this.logger.warn(`Could not list the data-protection key store's application names: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  }

  private async createKey(alg: SigningAlgorithm): Promise<string> {
    const now = this.clock.now();
    const km = this.config.keyManagement;
    const payload = await generateSigningKey(alg, {
      x509: this.x509Algorithms.has(alg),
      now,
      // the certificate covers the key's whole published life
      lifetimeMs: km.rotationInterval + km.retentionDuration,
    });
    if (!KID_PATTERN.test(payload.kid)) throw new Error('generated kid has an unexpected format');
    const json = JSON.stringify(payload);
    await this.store.storeKey({
      id: payload.kid,
      version: PAYLOAD_VERSION,
      created: now,
      algorithm: alg,
      isX509Certificate: payload.x5c !== undefined,
      dataProtected: km.dataProtectKeys,
      data: km.dataProtectKeys ? await this.getProtector().protect(json) : json,
    });
    this.logger.log(`Created signing key ${payload.kid} (${alg}${payload.x5c ? ', X.509' : ''})`);
    return payload.kid;
  }

  private getProtector(): DataProtector {
    this.protector ??= this.protection.createProtector(...DATA_PROTECTION_PURPOSES.signingKeys);
    return this.protector;
  }
}

const CAUSE_LABELS: Record<UnreadableKeyCause, string> = {
  'application-name': 'Likely cause: another DATA_PROTECTION_APPLICATION_NAME',
  'master-key-or-certificate': 'Likely cause: another DATA_PROTECTION_MASTER_KEY or DATA_PROTECTION_CERTIFICATE',
  'tampered-or-other': 'Likely cause: the stored key was altered, or its data-protection key removed or revoked',
};
