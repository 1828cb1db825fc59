import type { DataProtectionKeyMetadata } from './data-protection-key';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** When keys are made and which one protects: the inputs of {@link resolveKeyRing}, all in ms. */
export interface KeyRingPolicy {
  /** DATA_PROTECTION_KEY_LIFETIME: how long a key is the default for protecting */
  readonly keyLifetime: number;
  /**
   * A successor is created this long before the default key expires (ASP.NET Core: 2 days), so
   * every instance has read it from the shared store before it becomes the default.
   */
  readonly propagationTime: number;
  /** a key whose activation is this little in the future already counts as active (instances' clocks differ) */
  readonly maxClockSkew: number;
  /** how often an instance re-reads the shared store to see keys other instances made */
  readonly refreshPeriod: number;
}

/**
 * ASP.NET Core's defaults (2 days ahead, 5 minutes skew), scaled down for short lifetimes so a
 * key still spends most of its life as the default; instances re-read the ring well inside
 * the propagation window (at most hourly, at least four times within it).
 */
export function keyRingPolicyFor(keyLifetime: number): KeyRingPolicy {
  const propagationTime = Math.min(2 * DAY, Math.floor(keyLifetime / 4));
  return {
    keyLifetime,
    propagationTime,
    maxClockSkew: Math.min(5 * MINUTE, Math.floor(propagationTime / 4)),
    refreshPeriod: Math.max(1000, Math.min(60 * MINUTE, Math.floor(propagationTime / 4))),
  };
}

export interface KeyToCreate {
  readonly activationDate: Date;
  readonly expirationDate: Date;
}

export interface KeyRingResolution<K extends DataProtectionKeyMetadata> {
  /** the key new payloads are protected with; undefined when the ring has no usable key */
  readonly defaultKey?: K;
  /** a key to create now (under the store's creation lock, after re-reading the ring) */
  readonly keyToCreate?: KeyToCreate;
  /** the next instant at which this resolution may change without the ring changing */
  readonly reconsiderAt?: Date;
}

/** Deterministic order: latest activation first, then lowest id — so every instance picks the same key. */
function preferred(a: DataProtectionKeyMetadata, b: DataProtectionKeyMetadata): number {
  const byActivation = b.activationDate.getTime() - a.activationDate.getTime();
  if (byActivation !== 0) return byActivation;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether the key may be the default protection key at `now`. */
function isActiveAt(key: DataProtectionKeyMetadata, now: Date, maxClockSkew: number): boolean {
  return !key.revoked
    && key.activationDate.getTime() <= now.getTime() + maxClockSkew
    && key.expirationDate.getTime() > now.getTime();
}

/**
 * Selects the default protection key and decides whether a key must be created (ASP.NET Core's
 * DefaultKeyResolver + KeyRingProvider, without I/O). Among active, unrevoked keys the one
 * activated last wins, ties broken by id: two instances that raced and both made a key end up
 * with two valid keys and the same default. A successor is asked for once the default is within
 * `propagationTime` of its expiry and no other key takes over when it expires; it activates
 * exactly when the default expires. With no usable key at all, one is asked for from now.
 */
export function resolveKeyRing<K extends DataProtectionKeyMetadata>(
  keys: readonly K[], now: Date, policy: KeyRingPolicy,
): KeyRingResolution<K> {
  const t = now.getTime();
  const [defaultKey] = keys.filter((k) => isActiveAt(k, now, policy.maxClockSkew)).sort(preferred);
  let keyToCreate: KeyToCreate | undefined;
  if (!defaultKey) {
    keyToCreate = { activationDate: new Date(t), expirationDate: new Date(t + policy.keyLifetime) };
  } else {
    const expiry = defaultKey.expirationDate.getTime();
    const expiresSoon = expiry - t <= policy.propagationTime;
    const hasSuccessor = keys.some((k) => k !== defaultKey && !k.revoked
      && k.expirationDate.getTime() > expiry
      && k.activationDate.getTime() <= expiry + policy.maxClockSkew);
    if (expiresSoon && !hasSuccessor) {
      keyToCreate = { activationDate: new Date(expiry), expirationDate: new Date(expiry + policy.keyLifetime) };
    }
  }
  return { defaultKey, keyToCreate, reconsiderAt: nextBoundary(keys, t, policy) };
}

/** The earliest future instant at which a key activates, expires or enters its successor window. */
function nextBoundary(keys: readonly DataProtectionKeyMetadata[], t: number, policy: KeyRingPolicy): Date | undefined {
  const instants = keys.filter((k) => !k.revoked).flatMap((k) => [
    k.activationDate.getTime() - policy.maxClockSkew,
    k.expirationDate.getTime() - policy.propagationTime,
    k.expirationDate.getTime(),
  ]).filter((i) => i > t);
  return instants.length > 0 ? new Date(Math.min(...instants)) : undefined;
}
