import { formatDuration } from '../config/duration';
import type { SigningAlgorithm } from '../config/app-config';
import { decideKeys, type KeyInfo, type KeyLifecycleOptions } from './key-lifecycle';

/** A manual step of `keys plan` (docs/cli.md). */
export type KeyPlanAction = 'rotate' | 'retire' | 'remove';

export interface KeyPlanStep {
  readonly action: KeyPlanAction;
  /** the key the step is about; undefined for `rotate` (the key does not exist yet) */
  readonly kid?: string;
  readonly alg: string;
  /** the earliest instant the step is safe (now, when it is safe already) */
  readonly earliestAt: Date;
  readonly reason: string;
}

export interface KeyPlanOptions extends KeyLifecycleOptions {
  /** KEY_MANAGEMENT_KEY_CACHE_DURATION: every instance re-reads the key set at least this often */
  readonly keyCacheDuration: number;
  /** the longest lifetime of a token signed with a key: access and identity tokens of every client */
  readonly longestTokenLifetime: number;
}

/** An announced key that has not signed yet: `keys rotate` refuses to announce a second one for its algorithm. */
export interface WaitingKey {
  readonly kid: string;
  readonly alg: string;
  /** when it starts signing */
  readonly signsAt: Date;
}

const iso = (instant: number): string => new Date(instant).toISOString();

/** Announced keys of configured algorithms that wait out their propagation time, oldest first, then by configured algorithm. */
export function findWaitingKeys(keys: readonly KeyInfo[], now: Date, options: KeyLifecycleOptions): WaitingKey[] {
  const rank = (alg: string) => options.algorithms.indexOf(alg as SigningAlgorithm);
  return decideKeys(keys, now, options).statuses
    .filter((s) => s.phase === 'announced' && s.nextPhaseAt)
    .map((s) => ({ kid: s.key.id, alg: s.key.algorithm, signsAt: s.nextPhaseAt as Date }))
    .sort((a, b) => a.signsAt.getTime() - b.signsAt.getTime() || rank(a.alg) - rank(b.alg));
}

/**
 * `keys plan` as a pure function of (stored keys, now, options), like `decideKeys`: for each
 * manual step — rotate now, retire the signing key, remove a key — the earliest instant it is
 * safe and why (docs/cli.md, "keys plan"). The key cache duration is the bound used for "every
 * instance has seen it": a Redis notification is usually faster, but it can be lost.
 *
 * - rotate: safe now unless a key of the algorithm is already announced and waiting (then once
 *   that key signs: until then `keys rotate` refuses).
 * - retire the signing key: safe once a successor has been in JWKS for the propagation time and
 *   in every instance's key cache; with no successor, only after one is announced.
 * - remove a key: safe now for a key that has signed nothing and cannot sign before every
 *   instance has dropped it; otherwise once it has stopped signing on every instance and the
 *   tokens it signed have expired.
 */
export function planKeySteps(keys: readonly KeyInfo[], now: Date, options: KeyPlanOptions): KeyPlanStep[] {
  const t = now.getTime();
  const { propagationTime: propagation, rotationInterval: rotation, keyCacheDuration: cache, longestTokenLifetime: lifetime } = options;
  const decision = decideKeys(keys, now, options);
  const waiting = findWaitingKeys(keys, now, options);
  const cacheText = `KEY_MANAGEMENT_KEY_CACHE_DURATION (${formatDuration(cache)})`;
  const propagationText = `KEY_MANAGEMENT_PROPAGATION_TIME (${formatDuration(propagation)})`;
  const sorted = decision.statuses.map((s) => s.key);
  const steps: KeyPlanStep[] = [];

  for (const alg of options.algorithms) {
    steps.push(rotateStep(alg));
    const signer = decision.signingKeys.get(alg);
    if (signer) steps.push(retireStep(alg, signer));
    for (const key of sorted.filter((k) => k.algorithm === alg)) steps.push(removeStep(key));
  }
  // Keys of algorithms no longer configured: only their removal is left to plan.
  for (const key of sorted.filter((k) => !options.algorithms.includes(k.algorithm as SigningAlgorithm))) steps.push(removeStep(key));
  return steps;

  function rotateStep(alg: SigningAlgorithm): KeyPlanStep {
    const pending = waiting.filter((w) => w.alg === alg);
    if (pending.length === 0) {
      return {
        action: 'rotate', alg, earliestAt: now,
        reason: `no ${alg} key is waiting to sign: a key announced now is in every instance's JWKS within ${cacheText} and signs from ${iso(t + propagation)}`,
      };
    }
    const last = pending[pending.length - 1];
    const until = Math.max(...pending.map((w) => w.signsAt.getTime()));
    return {
      action: 'rotate', alg, earliestAt: new Date(until),
      reason: `${alg} key ${last.kid} is already announced and waiting: it signs from ${iso(last.signsAt.getTime())}; until then \`keys rotate\` refuses to announce a second key (--force does)`,
    };
  }

  function retireStep(alg: SigningAlgorithm, signer: KeyInfo): KeyPlanStep {
    const successor = sorted.find((k) => k.algorithm === alg && k.created > signer.created);
    if (!successor) {
      return {
        action: 'retire', kid: signer.id, alg, earliestAt: new Date(t + Math.max(propagation, cache)),
        reason: `no successor is announced: run \`keys rotate\` first; a key announced now has been in JWKS for ${propagationText} and in every instance's key cache by ${iso(t + Math.max(propagation, cache))}`,
      };
    }
    const safe = successor.created.getTime() + Math.max(propagation, cache);
    return {
      action: 'retire', kid: signer.id, alg, earliestAt: new Date(Math.max(t, safe)),
      reason: safe <= t
        ? `successor ${successor.id} has been in JWKS for ${propagationText} and in every instance's key cache`
        : `successor ${successor.id} (announced ${iso(successor.created.getTime())}) has been in JWKS for ${propagationText} and in every instance's key cache (${cacheText}) only at ${iso(safe)}; it takes over signing then`,
    };
  }

  function removeStep(key: KeyInfo): KeyPlanStep {
    const created = key.created.getTime();
    // It signs until it is `rotation` old, or until a younger key of its algorithm finishes its propagation.
    const takeovers = sorted.filter((k) => k.algorithm === key.algorithm && k.created > key.created).map((k) => k.created.getTime() + propagation);
    const signsUntil = Math.min(created + rotation, ...takeovers);
    const signsFrom = created + propagation;
    const isSigner = [...decision.signingKeys.values()].some((k) => k.id === key.id);
    if (!isSigner && signsFrom > t + cache && signsUntil > t) {
      return {
        action: 'remove', kid: key.id, alg: key.algorithm, earliestAt: now,
        reason: `it has signed nothing and would sign only from ${iso(signsFrom)}, after every instance has re-read the key set (${cacheText})`,
      };
    }
    const safe = signsUntil + cache + lifetime;
    const automatic = options.deleteRetiredKeys ? `; it is deleted automatically at ${iso(created + rotation + options.retentionDuration)}` : '';
    const stopped = signsUntil <= t ? `it stopped signing at ${iso(signsUntil)}` : `it signs until ${iso(signsUntil)}`;
    return {
      action: 'remove', kid: key.id, alg: key.algorithm, earliestAt: new Date(Math.max(t, safe)),
      reason: safe <= t
        ? `${stopped}: no token it signed can still be valid and every instance has stopped using it${automatic}`
        : `${stopped}; an instance may sign with it up to ${cacheText} longer and its tokens stay valid for up to ${formatDuration(lifetime)} (longest access/identity token lifetime)${automatic}`,
    };
  }
}
