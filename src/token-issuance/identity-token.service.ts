import { Injectable, Logger } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import type { SigningAlgorithm } from '../config/app-config';
import { NoSigningKeyError, SigningService } from '../key-management/signing.service';
import { InvalidRequestError, ServerError } from '../protocol/protocol-errors';
import { UserStore } from '../stores/user.store';
import { LOCAL_IDENTITY_PROVIDER } from '../sessions/user-session';
import type { ClaimValue, Client, IdentityResource, User } from '../stores/models';

export interface IdentityTokenRequest {
  readonly issuer: string;
  readonly client: Client;
  readonly subject: string;
  /** identity resources of the granted scopes (openid, profile…) */
  readonly identityResources: readonly IdentityResource[];
  readonly sessionId?: string;
  readonly authTime?: Date;
  readonly amr?: readonly string[];
  /** an external provider's scheme; absent: local */
  readonly idp?: string;
  /** echoed from the authorization request (OIDC Core §3.1.3.6) */
  readonly nonce?: string;
  /** the access token issued with it: adds at_hash */
  readonly accessToken?: string;
  /** the authorization code issued with it (hybrid/authorize responses): adds c_hash */
  readonly code?: string;
  /** the user, when the caller already loaded it; looked up only when claims are needed */
  readonly user?: User;
}

/** Claims an identity token's protocol owns; user claims never overwrite them. */
const PROTOCOL_CLAIMS = new Set([
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'auth_time', 'amr', 'acr', 'azp', 'sid', 'idp', 'at_hash', 'c_hash', 's_hash',
]);

/**
 * Issues OIDC identity tokens for every grant that returns one (authorization code, refresh,
 * device): docs/endpoints.md claims, signed with the client's allowed algorithm.
 */
@Injectable()
export class IdentityTokenService {
  private readonly logger = new Logger(IdentityTokenService.name);

  constructor(
    private readonly signing: SigningService,
    private readonly users: UserStore,
    private readonly clock: Clock,
  ) {}

  async createIdentityToken(request: IdentityTokenRequest): Promise<string> {
    const alg = await this.chooseAlgorithm(request.client);
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const payload: JWTPayload = {
      ...(await this.userClaims(request)),
      iss: request.issuer,
      sub: request.subject,
      aud: request.client.clientId,
      iat,
      nbf: iat,
      exp: iat + request.client.identityTokenLifetime,
      ...(request.authTime ? { auth_time: Math.floor(request.authTime.getTime() / 1000) } : {}),
      ...(request.amr && request.amr.length > 0 ? { amr: [...request.amr] } : {}),
      ...(request.sessionId ? { sid: request.sessionId } : {}),
      idp: request.idp ?? LOCAL_IDENTITY_PROVIDER,
      ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
      ...(request.accessToken !== undefined ? { at_hash: tokenHash(request.accessToken, alg) } : {}),
      ...(request.code !== undefined ? { c_hash: tokenHash(request.code, alg) } : {}),
    };
    try {
      return (await this.signing.sign(payload, { allowedAlgorithms: [[alg]] })).jwt;
    } catch (error) {
      if (error instanceof NoSigningKeyError) throw this.noKey(request.client, error.alg);
      throw error;
    }
  }

  /**
   * The algorithm must be known before signing because at_hash/c_hash depend on it: the one
   * SigningService.sign would choose for the client's allowed algorithms (docs/endpoints.md).
   */
  private async chooseAlgorithm(client: Client): Promise<SigningAlgorithm> {
    try {
      return await this.signing.chooseAlgorithm([client.allowedTokenSigningAlgorithms]);
    } catch (error) {
      if (error instanceof NoSigningKeyError) throw this.noKey(client, error.alg);
      throw error;
    }
  }

  private noKey(client: Client, alg: string): Error {
    this.logger.error(`cannot sign an identity token for client ${client.clientId}: no signing key for ${alg}`);
    return client.allowedTokenSigningAlgorithms.length > 0
      ? new InvalidRequestError(`no signing key is available for the client's allowed algorithms (${client.allowedTokenSigningAlgorithms.join(', ')})`)
      : new ServerError('no signing key is available');
  }

  /** OIDC Core §5.4: claims of the granted identity scopes, only when the client asks for them in the id token. */
  private async userClaims(request: IdentityTokenRequest): Promise<Record<string, ClaimValue>> {
    if (!request.client.alwaysIncludeUserClaimsInIdToken) return {};
    const user = request.user ?? (await this.users.findBySubjectId(request.subject));
    return user ? claimsForScopes(user, request.identityResources) : {};
  }
}

/** The user's claims named by the identity resources, never protocol claims. */
export function claimsForScopes(user: User, identityResources: readonly IdentityResource[]): Record<string, ClaimValue> {
  const wanted = new Set(identityResources.flatMap((r) => r.userClaims));
  const claims: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(user.claims)) {
    if (wanted.has(name) && !PROTOCOL_CLAIMS.has(name)) claims[name] = value;
  }
  return claims;
}

/**
 * OIDC Core §3.3.2.11: base64url of the left half of the hash of the token's ASCII, with the
 * hash of the JWS algorithm (SHA-256 for *256 and so on).
 */
export function tokenHash(token: string, alg: SigningAlgorithm): string {
  const bits = alg.slice(2);
  const digest = createHash(`sha${bits}`).update(token, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
