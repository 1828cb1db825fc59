import type { SigningAlgorithm } from '../config/app-config';

/**
 * Phases of a managed signing key (docs/deployment.md, "Signing keys"; Duende's automatic key management):
 * announced (in JWKS, not signing) → signing → retired (in JWKS, not signing) → expired
 * (out of JWKS; deleted or kept unpublished).
 */
export type KeyPhase = 'announced' | 'signing' | 'retired' | 'expired';

/** The clear metadata of a stored key: all the decision needs. */
export interface KeyInfo {
  readonly id: string;
  readonly algorithm: string;
  readonly created: Date;
}

export interface KeyLifecycleOptions {
  readonly rotationInterval: number;
  readonly propagationTime: number;
  readonly retentionDuration: number;
  readonly deleteRetiredKeys: boolean;
  /** managed algorithms in configured order; keys of other algorithms never sign */
  readonly algorithms: readonly SigningAlgorithm[];
  /**
   * Create successors this much before age `rotation − propagation` (default 0), so that a check
   * running late still announces the successor a full propagation time before its predecessor retires.
   */
  readonly successorLeadTime?: number;
}

export interface KeyStatus<K extends KeyInfo = KeyInfo> {
  readonly key: K;
  readonly phase: KeyPhase;
  /** when the phase changes next; undefined once expired */
  readonly nextPhaseAt?: Date;
}

export interface KeyDecision<K extends KeyInfo = KeyInfo> {
  /** the key that signs now, per configured algorithm (absent: none usable) */
  readonly signingKeys: ReadonlyMap<SigningAlgorithm, K>;
  /** keys in JWKS: announced, signing and retired */
  readonly published: readonly K[];
  /** algorithms that need a new key now (first key, or successor) */
  readonly toCreate: readonly SigningAlgorithm[];
  /** expired keys to remove from the store (only when deleteRetiredKeys) */
  readonly toDelete: readonly K[];
  /** every key with its phase, oldest first (CLI) */
  readonly statuses: readonly KeyStatus<K>[];
  /** the earliest instant after `now` at which this decision may change */
  readonly nextChangeAt?: Date;
}

const at = (key: KeyInfo, offset: number): number => key.created.getTime() + offset;

/**
 * The whole key-management policy as a pure function of (keys in the store, now, options),
 * so every phase can be walked with a fake clock and no I/O (STYLE habit 5).
 *
 * - A key may sign from age `propagation` until age `rotation`; of those, the youngest signs
 *   (so a forced rotation takes over once its propagation time has passed).
 * - With no such key, the oldest key younger than `rotation` signs: on an empty store the first
 *   key signs at once, since nobody can have cached an older JWKS.
 * - A successor is created when the youngest key reaches `rotation − propagation`, so it has been
 *   announced a full propagation time when its predecessor retires.
 * - Keys leave JWKS at `rotation + retention`, and the store too when deleteRetiredKeys.
 */
export function decideKeys<K extends KeyInfo>(keys: readonly K[], now: Date, options: KeyLifecycleOptions): KeyDecision<K> {
  const { rotationInterval: rotation, propagationTime: propagation, retentionDuration: retention } = options;
  const successorAge = rotation - propagation - (options.successorLeadTime ?? 0);
  const t = now.getTime();
  // JWKS lists keys by configured algorithm, then age (stable output, default algorithm first).
  const algorithmRank = (k: KeyInfo) => {
    const rank = options.algorithms.indexOf(k.algorithm as SigningAlgorithm);
    return rank < 0 ? options.algorithms.length : rank;
  };
  const sorted = [...keys].sort((a, b) => a.created.getTime() - b.created.getTime() || a.id.localeCompare(b.id));

  const signingKeys = new Map<SigningAlgorithm, K>();
  const toCreate: SigningAlgorithm[] = [];
  for (const alg of options.algorithms) {
    const own = sorted.filter((k) => k.algorithm === alg);
    const live = own.filter((k) => t < at(k, rotation));
    const active = live.filter((k) => t >= at(k, propagation));
    const signer = active.length > 0 ? active[active.length - 1] : live[0];
    if (signer) signingKeys.set(alg, signer);
    const youngest = own[own.length - 1];
    if (live.length === 0 || (youngest && t >= at(youngest, successorAge))) toCreate.push(alg);
  }

  const signerIds = new Set([...signingKeys.values()].map((k) => k.id));
  const statuses = sorted.map((key): KeyStatus<K> => {
    const end = at(key, rotation + retention);
    if (t >= end) return { key, phase: 'expired' };
    if (signerIds.has(key.id)) {
      // A signer stops at retirement, or earlier when a younger key finishes its propagation.
      const takeovers = sorted
        .filter((k) => k.algorithm === key.algorithm && k.created > key.created && at(k, propagation) > t)
        .map((k) => at(k, propagation));
      return { key, phase: 'signing', nextPhaseAt: new Date(Math.min(at(key, rotation), ...takeovers)) };
    }
    const configured = options.algorithms.includes(key.algorithm as SigningAlgorithm);
    if (configured && t < at(key, propagation)) return { key, phase: 'announced', nextPhaseAt: new Date(at(key, propagation)) };
    return { key, phase: 'retired', nextPhaseAt: new Date(end) };
  });

  const boundaries = sorted
    .flatMap((k) => [propagation, successorAge, rotation, rotation + retention].map((offset) => at(k, offset)))
    .filter((instant) => instant > t);

  return {
    signingKeys,
    published: statuses.filter((s) => s.phase !== 'expired').map((s) => s.key)
      .sort((a, b) => algorithmRank(a) - algorithmRank(b) || a.created.getTime() - b.created.getTime()),
    toCreate,
    toDelete: options.deleteRetiredKeys ? statuses.filter((s) => s.phase === 'expired').map((s) => s.key) : [],
    statuses,
    nextChangeAt: boundaries.length > 0 ? new Date(Math.min(...boundaries)) : undefined,
  };
}
