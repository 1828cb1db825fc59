import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  createLocalJWKSet, decodeJwt, errors, jwtVerify,
  type JWK, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions,
} from 'jose';
import { Clock } from '../common/clock';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { APP_CONFIG, SIGNING_ALGORITHMS, type AppConfig } from '../config/app-config';
import { DistributedCache } from '../caching/distributed-cache';
import { InvalidClientError } from '../protocol/protocol-errors';
import type { Client, JsonWebKeySecret } from '../stores/models';
import { isExpired } from './shared-secret';

/**
 * RFC 7523 §3 and RFC 8725 §3.1: only asymmetric algorithms, `none` and HMAC never — the same
 * RSA/EC list discovery advertises in token_endpoint_auth_signing_alg_values_supported.
 */
export const CLIENT_ASSERTION_ALGORITHMS: readonly string[] = SIGNING_ALGORITHMS;

export const MAX_JTI_LENGTH = 256;
/** Clock skew tolerated between the client and us. */
export const CLIENT_ASSERTION_CLOCK_SKEW_SECONDS = 30;

export interface AssertionContext {
  /** audiences this endpoint accepts: the token endpoint URL, the issuer, the endpoint's own URL */
  readonly audiences: readonly string[];
}

/**
 * Validates a private_key_jwt client assertion (RFC 7523 §3): signature by one of the client's
 * JsonWebKey secrets, iss = sub = client id, audience, exp present and near, jti present and
 * never seen before (across instances, through the DistributedCache).
 */
@Injectable()
export class ClientAssertionValidator {
  private readonly logger = new Logger(ClientAssertionValidator.name);
  /** Imported key sets per client object, so keys are parsed once, not per request. */
  private readonly keySets = new WeakMap<Client, { readonly signature: string; readonly getKey: JWTVerifyGetKey }>();

  /** CLIENT_ASSERTION_MAX_LIFETIME in seconds: how far ahead `exp` may lie, and how long a jti is remembered. */
  private readonly maxLifetimeSeconds: number;

  constructor(
    private readonly cache: DistributedCache,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'clientAssertionMaxLifetime'>,
  ) {
    this.maxLifetimeSeconds = Math.floor(config.clientAssertionMaxLifetime / 1000);
  }

  /** The client id the assertion claims (iss/sub), read without verification to find the client. */
  static claimedClientId(assertion: string): string {
    let payload: JWTPayload;
    try {
      payload = decodeJwt(assertion);
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new InvalidClientError('client_assertion is not a valid JWT');
      throw error;
    }
    if (typeof payload.iss !== 'string' || payload.iss === '' || payload.sub !== payload.iss) {
      throw new InvalidClientError('client_assertion iss and sub must both be the client id');
    }
    return payload.iss;
  }

  async validate(client: Client, assertion: string, context: AssertionContext): Promise<void> {
    const keys = this.keySetOf(client);
    if (!keys) throw new InvalidClientError('client authentication failed');

    const now = this.clock.now();
    let payload: JWTPayload;
    try {
      payload = await verifyWithKeySet(assertion, keys, {
        algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
        issuer: client.clientId,
        subject: client.clientId,
        audience: [...context.audiences],
        requiredClaims: ['exp', 'jti'],
        currentDate: now,
        clockTolerance: CLIENT_ASSERTION_CLOCK_SKEW_SECONDS,
      });
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        this.logger.debug(`client ${client.clientId}: assertion rejected (${error.code})`);
        throw new InvalidClientError(describeJoseFailure(error));
      }
      throw error;
    }

    const nowSeconds = Math.floor(now.getTime() / 1000);
    const exp = payload.exp ?? 0;
    // FAPI 2.0 §5.3.2.1: up to 60 minutes ahead (CLIENT_ASSERTION_MAX_LIFETIME); the jti is kept that long.
    if (exp - nowSeconds > this.maxLifetimeSeconds + CLIENT_ASSERTION_CLOCK_SKEW_SECONDS) {
      throw new InvalidClientError(`client_assertion exp must be at most ${this.maxLifetimeSeconds} seconds ahead`);
    }
    // jose checks iat only against a maximum age: one issued in the future is refused here.
    if (payload.iat !== undefined && payload.iat > nowSeconds + CLIENT_ASSERTION_CLOCK_SKEW_SECONDS) {
      throw new InvalidClientError('client_assertion iat is in the future');
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') throw new InvalidClientError('client_assertion jti is missing');
    // Bounded so a caller cannot make the replay cache store arbitrarily large keys.
    if (payload.jti.length > MAX_JTI_LENGTH) throw new InvalidClientError('client_assertion jti is too long');

    await this.rememberJti(client.clientId, payload.jti, (exp + CLIENT_ASSERTION_CLOCK_SKEW_SECONDS - nowSeconds) * 1000);
  }

  /**
   * RFC 7523 §3 item 7: a jti is accepted once until the assertion expires, on every instance.
   * Fails closed: an assertion is never accepted when the replay check could not run. A cache
   * outage refuses it with 503 `temporarily_unavailable` (the client is not at fault and may
   * retry, docs/endpoints.md); any other cache failure refuses it with `invalid_client`.
   */
  private async rememberJti(clientId: string, jti: string, ttlMs: number): Promise<void> {
    let firstUse: boolean;
    try {
      firstUse = await this.cache.addIfAbsent(`jti:${clientId}:${jti}`, '1', Math.max(ttlMs, 1000));
    } catch (error) {
      if (error instanceof DependencyUnavailableError) {
        // The exception filter logs this one line and answers 503.
        throw new DependencyUnavailableError(error.dependency, `the replay cache could not check the client assertion of ${clientId}, refused: ${error.message}`, { cause: error });
      }
      this.logger.error(`replay cache failed, refusing client assertion of ${clientId}: ${error instanceof Error ? error.message : String(error)}`);
      throw new InvalidClientError('client assertion could not be checked for replay');
    }
    if (!firstUse) throw new InvalidClientError('client_assertion has already been used');
  }

  private keySetOf(client: Client): JWTVerifyGetKey | undefined {
    const now = this.clock.now();
    const active = client.clientSecrets
      .filter((secret): secret is JsonWebKeySecret => secret.type === 'JsonWebKey' && !isExpired(secret, now))
      .map((secret) => secret.jwk)
      .filter(isPublicAsymmetricKey);
    if (active.length === 0) return undefined;
    // Rebuilt only when the set of unexpired keys changes (an expiration passed).
    const signature = active.length === client.clientSecrets.length ? '*' : active.map((jwk) => jwk.kid ?? jwk.x ?? jwk.n).join(',');
    const cached = this.keySets.get(client);
    if (cached && cached.signature === signature) return cached.getKey;
    const getKey = createLocalJWKSet({ keys: active });
    this.keySets.set(client, { signature, getKey });
    return getKey;
  }
}

/**
 * jwtVerify with a key set; when several keys match the header (no `kid`, several keys of one
 * type), each candidate is tried as jose's JWKSMultipleMatchingKeys documentation suggests.
 */
async function verifyWithKeySet(jwt: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(jwt, keys, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    let lastError: unknown = error;
    for await (const key of error) {
      try {
        return (await jwtVerify(jwt, key, options)).payload;
      } catch (candidateError) {
        if (!(candidateError instanceof errors.JWSSignatureVerificationFailed)) throw candidateError;
        lastError = candidateError;
      }
    }
    throw lastError;
  }
}

/** Only asymmetric public keys: an `oct` key would let HMAC assertions in. */
function isPublicAsymmetricKey(jwk: JWK): boolean {
  return jwk.kty === 'RSA' || jwk.kty === 'EC';
}

function describeJoseFailure(error: errors.JOSEError): string {
  if (error instanceof errors.JOSEAlgNotAllowed) return 'client_assertion algorithm is not allowed';
  // Claims are checked only after the signature, so these details go to the key's holder only.
  if (error instanceof errors.JWTExpired) return 'client_assertion has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `client_assertion ${error.claim} claim is invalid`;
  // Signature or key mismatch: the same answer as an unknown client.
  return 'client authentication failed';
}
