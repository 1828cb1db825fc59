import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import type { SigningAlgorithm } from '../config/app-config';
import { AlgorithmNotAllowedError, NoSigningKeyError, SigningService } from '../key-management/signing.service';
import { InvalidRequestError, ServerError } from '../protocol/protocol-errors';
import type { ApiResource, Client } from '../stores/models';
import type { AccessTokenClaims, ActorClaim } from './access-token-claims';
import { ReferenceTokenService } from './reference-token.service';

export interface AccessTokenRequest {
  readonly issuer: string;
  readonly client: Client;
  /** granted scopes, in order */
  readonly scopes: readonly string[];
  /** audiences: the API resources the granted API scopes belong to */
  readonly apiResources: readonly ApiResource[];
  /** user grants only */
  readonly subject?: string;
  readonly sessionId?: string;
  readonly authTime?: Date;
  readonly amr?: readonly string[];
  readonly idp?: string;
  /** RFC 8693 §4.1: the acting party, for tokens issued by token exchange */
  readonly act?: ActorClaim;
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly tokenType: 'jwt' | 'reference';
  /** seconds */
  readonly expiresIn: number;
  readonly scope: string;
  readonly claims: AccessTokenClaims;
}

/**
 * Creates access tokens for every grant (docs/endpoints.md): a JWT signed with the algorithm the client or
 * the API resources allow, or a reference token persisted encrypted, per `accessTokenType`.
 */
@Injectable()
export class AccessTokenService {
  private readonly logger = new Logger(AccessTokenService.name);

  constructor(
    private readonly signing: SigningService,
    private readonly referenceTokens: ReferenceTokenService,
    private readonly clock: Clock,
  ) {}

  async createAccessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const claims = this.buildClaims(request);
    const expiresIn = request.client.accessTokenLifetime;
    if (request.client.accessTokenType === 'reference') {
      const accessToken = await this.referenceTokens.create(claims);
      return { accessToken, tokenType: 'reference', expiresIn, scope: claims.scope, claims };
    }
    const accessToken = await this.sign(claims, request);
    return { accessToken, tokenType: 'jwt', expiresIn, scope: claims.scope, claims };
  }

  private buildClaims(request: AccessTokenRequest): AccessTokenClaims {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const audiences = request.apiResources.map((api) => api.name);
    return {
      iss: request.issuer,
      // RFC 9068 §2.2: one audience as a string, several as an array.
      ...(audiences.length === 1 ? { aud: audiences[0] } : audiences.length > 1 ? { aud: audiences } : {}),
      client_id: request.client.clientId,
      scope: request.scopes.join(' '),
      ...(request.subject !== undefined ? { sub: request.subject } : {}),
      ...(request.authTime !== undefined ? { auth_time: Math.floor(request.authTime.getTime() / 1000) } : {}),
      ...(request.idp !== undefined ? { idp: request.idp } : {}),
      ...(request.amr !== undefined ? { amr: [...request.amr] } : {}),
      ...(request.sessionId !== undefined ? { sid: request.sessionId } : {}),
      ...(request.act !== undefined ? { act: request.act } : {}),
      exp: iat + request.client.accessTokenLifetime,
      iat,
      nbf: iat,
      // randomUUID draws from Node's pre-filled entropy pool: 122 random bits, no syscall per token.
      jti: randomUUID(),
    };
  }

  private async sign(claims: AccessTokenClaims, request: AccessTokenRequest): Promise<string> {
    try {
      const signed = await this.signing.sign(claims, { typ: 'at+jwt', allowedAlgorithms: allowedAlgorithmsFor(request) });
      return signed.jwt;
    } catch (error) {
      if (error instanceof AlgorithmNotAllowedError) throw new InvalidRequestError(error.message);
      if (error instanceof NoSigningKeyError) {
        this.logger.error(`cannot sign an access token for client ${request.client.clientId}: ${error.message}; add ${error.alg} to KEY_MANAGEMENT_SIGNING_ALGORITHMS or SIGNING_CREDENTIALS`);
        throw new ServerError('no signing key is available for the required algorithm');
      }
      throw error;
    }
  }
}

/**
 * docs/configuration-file.md/§5: the API resources' allowedAccessTokenSigningAlgorithms govern their tokens; only
 * when none of them sets a list does the client's allowedTokenSigningAlgorithms apply.
 */
export function allowedAlgorithmsFor(request: Pick<AccessTokenRequest, 'client' | 'apiResources'>): ReadonlyArray<readonly SigningAlgorithm[]> {
  const apiLists = request.apiResources
    .map((api) => api.allowedAccessTokenSigningAlgorithms)
    .filter((list) => list.length > 0);
  if (apiLists.length > 0) return apiLists;
  return request.client.allowedTokenSigningAlgorithms.length > 0 ? [request.client.allowedTokenSigningAlgorithms] : [];
}
