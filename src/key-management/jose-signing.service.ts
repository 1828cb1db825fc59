import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult,
} from 'jose';
import { APP_CONFIG, type AppConfig, type SigningAlgorithm } from '../config/app-config';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { KeyManager, type ManagedKeySet } from './key-manager.service';
import { JwsSigner } from './jws-signer';
import type { LoadedSigningKey } from './signing-key-material';
import {
  chooseSigningAlgorithm, NoSigningKeyError, SigningService, type PublishedKeySet, type SignedJwt, type SignOptions,
} from './signing.service';
import type { StaticKeys } from './static-credentials.loader';

/** DI token of the static keys loaded at start-up. */
export const STATIC_SIGNING_KEYS = Symbol('STATIC_SIGNING_KEYS');

interface PublishedState extends PublishedKeySet {
  readonly fingerprint: string;
  readonly verifyKeys: ReturnType<typeof createLocalJWKSet>;
}

/**
 * Signs with static credentials first (SIGNING_CREDENTIALS take precedence), then managed keys;
 * publishes static, validation and managed keys. The JWKS is serialised once per key-set
 * change and every key is imported once (hot paths: token signing and JWKS).
 */
@Injectable()
export class JoseSigningService extends SigningService {
  private published?: PublishedState;
  /** algorithms in preference order: static signing keys, then configured managed algorithms */
  private readonly algorithmOrder: readonly SigningAlgorithm[];
  private readonly staticSigners: ReadonlyMap<SigningAlgorithm, LoadedSigningKey>;
  /** one signer per loaded key (keys are imported once and never change); dropped with the key */
  private readonly signers = new WeakMap<LoadedSigningKey, JwsSigner>();

  constructor(
    private readonly keyManager: KeyManager,
    @Inject(STATIC_SIGNING_KEYS) private readonly staticKeys: StaticKeys,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super();
    const signers = new Map<SigningAlgorithm, LoadedSigningKey>();
    // The first static credential of an algorithm signs for it.
    for (const key of staticKeys.signing) if (!signers.has(key.alg)) signers.set(key.alg, key);
    this.staticSigners = signers;
    const managed = config.keyManagement.enabled ? config.keyManagement.signingAlgorithms.map((a) => a.alg) : [];
    this.algorithmOrder = [...new Set([...staticKeys.signing.map((k) => k.alg), ...managed])];
  }

  async sign(payload: JWTPayload, options: SignOptions = {}): Promise<SignedJwt> {
    const set = await this.keyManager.getKeySet();
    const alg = this.choose(set, options.allowedAlgorithms ?? []);
    const key = this.signerFor(set, alg);
    if (!key?.privateKey) throw this.noKey(new NoSigningKeyError(alg));
    let signer = this.signers.get(key);
    if (!signer) {
      signer = new JwsSigner(key.kid, key.alg, key.privateKey);
      this.signers.set(key, signer);
    }
    const jwt = await signer.sign(payload, options.typ ?? 'JWT');
    return { jwt, alg, kid: key.kid };
  }

  async getPublishedKeySet(): Promise<PublishedKeySet> {
    return this.getPublishedState();
  }

  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> {
    return this.usableAlgorithms(await this.keyManager.getKeySet());
  }

  async verify(jwt: string, options: JWTVerifyOptions = {}): Promise<JWTVerifyResult> {
    const state = await this.getPublishedState();
    // Only algorithms we publish keys for; never `none` or HMAC with a public key (RFC 8725 §3.1).
    const algorithms = options.algorithms ?? [...new Set(state.jwks.keys.map((k) => k.alg).filter((a): a is string => !!a))];
    return jwtVerify(jwt, state.verifyKeys, { ...options, algorithms });
  }

  override getUnreadableKeyIds(): readonly string[] {
    return this.keyManager.getUnreadableKeyIds();
  }

  override async chooseAlgorithm(lists: ReadonlyArray<readonly SigningAlgorithm[]>): Promise<SigningAlgorithm> {
    return this.choose(await this.keyManager.getKeySet(), lists);
  }

  private choose(set: ManagedKeySet, lists: ReadonlyArray<readonly SigningAlgorithm[]>): SigningAlgorithm {
    try {
      return chooseSigningAlgorithm(this.algorithmOrder, (alg) => this.signerFor(set, alg) !== undefined, lists);
    } catch (error) {
      throw error instanceof NoSigningKeyError ? this.noKey(error) : error;
    }
  }

  /** Missing because key management is on hold (stored keys it cannot read): a deployment problem, answered 503. */
  private noKey(error: NoSigningKeyError): Error {
    if (!this.keyManager.onHold) return error;
    return new DependencyUnavailableError('signing-keys',
      `no signing key for ${error.alg}: key management is on hold, stored signing keys cannot be read (docs/deployment.md#signing-keys-on-hold)`,
      { cause: error });
  }

  private usableAlgorithms(set: ManagedKeySet): SigningAlgorithm[] {
    return this.algorithmOrder.filter((alg) => this.signerFor(set, alg) !== undefined);
  }

  private signerFor(set: ManagedKeySet, alg: SigningAlgorithm): LoadedSigningKey | undefined {
    return this.staticSigners.get(alg) ?? set.decision.signingKeys.get(alg)?.material;
  }

  private async getPublishedState(): Promise<PublishedState> {
    const set = await this.keyManager.getKeySet();
    if (this.published?.fingerprint === set.fingerprint) return this.published;
    const seen = new Set<string>();
    const keys = [...this.staticKeys.signing, ...this.staticKeys.validation, ...set.decision.published.map((k) => k.material)]
      .filter((k) => !seen.has(k.kid) && seen.add(k.kid))
      .map((k) => k.publicJwk);
    const jwks: JSONWebKeySet = { keys };
    const json = JSON.stringify(jwks);
    this.published = {
      fingerprint: set.fingerprint,
      jwks,
      json,
      etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`,
      verifyKeys: createLocalJWKSet(jwks),
    };
    return this.published;
  }
}
