import { Injectable, Logger } from '@nestjs/common';
import { errors, type JWTPayload } from 'jose';
import { Clock } from '../common/clock';
import { SigningService } from '../key-management/signing.service';
import { ClientStore } from '../stores/client.store';
import { UserStore } from '../stores/user.store';
import { accessTokenClaimsProblem, type AccessTokenClaims } from './access-token-claims';
import { ReferenceTokenService } from './reference-token.service';

/** A compact JWS has exactly three dot-separated parts; reference handles have none. */
function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * Validates an access token this server issued, in either form: a JWT (our keys, the issuer,
 * `at+jwt`, its lifetime) or a reference handle (looked up). For introspection, userinfo and
 * token exchange. Then, like Duende's token validator: the claim set is well-formed
 * (docs/endpoints.md), its client still exists and is enabled, and its user, if any, still exists.
 */
@Injectable()
export class AccessTokenValidator {
  private readonly logger = new Logger(AccessTokenValidator.name);

  constructor(
    private readonly signing: SigningService,
    private readonly referenceTokens: ReferenceTokenService,
    private readonly clients: ClientStore,
    private readonly users: UserStore,
    private readonly clock: Clock,
  ) {}

  /** The token's claims when it is valid now; undefined otherwise (the reason is only logged). */
  async validate(token: string, issuer: string): Promise<AccessTokenClaims | undefined> {
    const payload = looksLikeJwt(token) ? await this.verifyJwt(token, issuer) : (await this.referenceTokens.find(token))?.claims;
    if (!payload) return undefined;
    const problem = await this.problemOf(payload);
    if (problem) {
      this.logger.debug(`access token refused: ${problem}`);
      return undefined;
    }
    return payload as AccessTokenClaims;
  }

  private async problemOf(payload: JWTPayload): Promise<string | undefined> {
    const clientId = payload.client_id;
    if (typeof clientId !== 'string' || clientId === '') return 'client_id is missing';
    const client = await this.clients.findClientById(clientId);
    if (!client || !client.enabled) return `client ${clientId} is unknown or disabled`;
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const problem = accessTokenClaimsProblem(payload, client.accessTokenLifetime, nowSeconds);
    if (problem) return problem;
    if (typeof payload.sub === 'string' && !(await this.users.findBySubjectId(payload.sub))) return 'its user no longer exists';
    return undefined;
  }

  private async verifyJwt(token: string, issuer: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await this.signing.verify(token, { issuer, typ: 'at+jwt', currentDate: this.clock.now() });
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        this.logger.debug(`access token JWT is not valid (${error.code})`);
        return undefined;
      }
      throw error;
    }
  }
}
