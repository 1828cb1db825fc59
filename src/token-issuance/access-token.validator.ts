import { Injectable, Logger } from '@nestjs/common';
import { errors } from 'jose';
import { Clock } from '../common/clock';
import { SigningService } from '../key-management/signing.service';
import type { AccessTokenClaims } from './access-token-claims';
import { ReferenceTokenService } from './reference-token.service';

/** A compact JWS has exactly three dot-separated parts; reference handles have none. */
function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * Validates an access token this server issued, in either form: a JWT (our keys, the issuer,
 * `at+jwt`, its lifetime) or a reference handle (looked up). For introspection and userinfo.
 */
@Injectable()
export class AccessTokenValidator {
  private readonly logger = new Logger(AccessTokenValidator.name);

  constructor(
    private readonly signing: SigningService,
    private readonly referenceTokens: ReferenceTokenService,
    private readonly clock: Clock,
  ) {}

  /** The token's claims when it is valid now; undefined otherwise (the reason is only logged). */
  async validate(token: string, issuer: string): Promise<AccessTokenClaims | undefined> {
    return looksLikeJwt(token) ? this.verifyJwt(token, issuer) : (await this.referenceTokens.find(token))?.claims;
  }

  private async verifyJwt(token: string, issuer: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await this.signing.verify(token, { issuer, typ: 'at+jwt', currentDate: this.clock.now() });
      return payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        this.logger.debug(`access token JWT is not valid (${error.code})`);
        return undefined;
      }
      throw error;
    }
  }
}
