import type { JSONWebKeySet, JWTPayload, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';

export interface SignOptions {
  /** JOSE header `typ`, e.g. `at+jwt`, `logout+jwt`; omitted for identity tokens (`JWT`) */
  readonly typ?: string;
  /**
   * Lists of allowed algorithms from the client and/or API resources; empty lists mean "no
   * constraint". The first algorithm allowed by all lists that has a signing key is used
   * (docs/configuration-file.md); with no constraint, the default algorithm.
   */
  readonly allowedAlgorithms?: ReadonlyArray<readonly SigningAlgorithm[]>;
}

export interface SignedJwt {
  readonly jwt: string;
  readonly alg: SigningAlgorithm;
  readonly kid: string;
}

/** The public keys, serialised once per key-set change (hot path: JWKS). */
export interface PublishedKeySet {
  readonly jwks: JSONWebKeySet;
  readonly json: string;
  /** changes whenever the published set changes (ETag) */
  readonly etag: string;
}

/**
 * What the token service needs from keys: sign with the right current key, and validate with
 * every published key. Static credentials and managed keys sit behind it.
 */
export abstract class SigningService {
  /** Throws AlgorithmNotAllowedError when the lists have no algorithm in common,
   *  NoSigningKeyError when no usable key exists for the chosen algorithm. */
  abstract sign(payload: JWTPayload, options?: SignOptions): Promise<SignedJwt>;
  abstract getPublishedKeySet(): Promise<PublishedKeySet>;
  /** Algorithms that can sign now, default first. */
  abstract getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]>;

  /**
   * The algorithm `sign` would use for these lists, for callers that need it in advance (an
   * identity token's at_hash depends on it). Same errors as `sign`.
   */
  async chooseAlgorithm(allowedAlgorithms: ReadonlyArray<readonly SigningAlgorithm[]>): Promise<SigningAlgorithm> {
    const usable = await this.getSigningAlgorithms();
    return chooseSigningAlgorithm(usable, (alg) => usable.includes(alg), allowedAlgorithms);
  }
  /** Verifies a JWT against the published keys (issuer/audience/typ per options). */
  abstract verify(jwt: string, options?: JWTVerifyOptions): Promise<JWTVerifyResult>;
  /** Kids of stored managed keys that could not be unprotected (health, doctor); none by default. */
  getUnreadableKeyIds(): readonly string[] {
    return [];
  }
}

/**
 * docs/configuration-file.md: with no constraint, the default (first in `preference`) — never silently
 * another; several lists → the first algorithm (in our preference order) allowed by all that has
 * a key; none in common → AlgorithmNotAllowedError; none with a key → NoSigningKeyError.
 */
export function chooseSigningAlgorithm(
  preference: readonly SigningAlgorithm[],
  hasKey: (alg: SigningAlgorithm) => boolean,
  lists: ReadonlyArray<readonly SigningAlgorithm[]>,
): SigningAlgorithm {
  const constraints = lists.filter((list) => list.length > 0);
  if (constraints.length === 0) {
    const fallback = preference[0];
    if (!fallback) throw new NoSigningKeyError('default');
    return fallback;
  }
  const allowed = constraints[0].filter((alg) => constraints.every((list) => list.includes(alg)));
  if (allowed.length === 0) {
    throw new AlgorithmNotAllowedError(
      `No signing algorithm is allowed by all of ${constraints.map((l) => `[${l.join(', ')}]`).join(' and ')}`,
    );
  }
  const chosen = preference.find((alg) => allowed.includes(alg) && hasKey(alg));
  if (!chosen) throw new NoSigningKeyError(allowed.join(', '));
  return chosen;
}

export class AlgorithmNotAllowedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlgorithmNotAllowedError';
  }
}

export class NoSigningKeyError extends Error {
  constructor(readonly alg: string) {
    super(`No usable signing key for algorithm ${alg}`);
    this.name = 'NoSigningKeyError';
  }
}
