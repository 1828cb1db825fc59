import type { JSONWebKeySet, JWTPayload, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';

export interface SignOptions {
  /** JOSE header `typ`, e.g. `at+jwt`, `logout+jwt`; omitted for identity tokens (`JWT`) */
  readonly typ?: string;
  /**
   * Lists of allowed algorithms from the client and/or API resources; empty lists mean "no
   * constraint". The first algorithm allowed by all lists that has a signing key is used
   * (SPEC section 3); with no constraint, the default algorithm.
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
  /** Verifies a JWT against the published keys (issuer/audience/typ per options). */
  abstract verify(jwt: string, options?: JWTVerifyOptions): Promise<JWTVerifyResult>;
  /** Kids of stored managed keys that could not be unprotected (health, doctor); none by default. */
  getUnreadableKeyIds(): readonly string[] {
    return [];
  }
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
