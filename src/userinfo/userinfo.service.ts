import { Injectable, Logger } from '@nestjs/common';
import { errors } from 'jose';
import { Clock } from '../common/clock';
import { SigningService } from '../key-management/signing.service';
import { InvalidTokenError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { UserStore } from '../stores/user.store';
import type { ClaimValue, IdentityResource } from '../stores/models';
import type { AccessTokenClaims } from '../tokens/access-token-claims';
import { claimsForScopes } from '../tokens/identity-token.service';
import { ReferenceTokenService } from '../tokens/reference-token.service';
import { InsufficientScopeError } from './bearer-token';

/**
 * OIDC Core §5.3: the claims of the identity scopes granted to an access token. Accepts JWT
 * access tokens (verified against our keys and issuer) and reference tokens (looked up).
 */
@Injectable()
export class UserInfoService {
  private readonly logger = new Logger(UserInfoService.name);

  constructor(
    private readonly signing: SigningService,
    private readonly referenceTokens: ReferenceTokenService,
    private readonly catalog: ResourceCatalog,
    private readonly users: UserStore,
    private readonly clock: Clock,
  ) {}

  async getUserInfo(token: string, issuer: string): Promise<Record<string, ClaimValue>> {
    const claims = token.split('.').length === 3 ? await this.verifyJwt(token, issuer) : (await this.referenceTokens.find(token))?.claims;
    if (!claims) throw new InvalidTokenError('the access token is invalid or expired');
    if (claims.sub === undefined) throw new InvalidTokenError('the access token was not issued for a user');
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) throw new InsufficientScopeError('openid');

    const user = await this.users.findBySubjectId(claims.sub);
    if (!user) throw new InvalidTokenError('the user is no longer active');
    const index = await this.catalog.getIndex();
    const identityResources = scopes
      .map((name) => index.identityResources.get(name))
      .filter((r): r is IdentityResource => r !== undefined);
    // OIDC Core §5.3.2: sub is always returned and must match the id token's.
    return { ...claimsForScopes(user, identityResources), sub: claims.sub };
  }

  private async verifyJwt(token: string, issuer: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await this.signing.verify(token, { issuer, typ: 'at+jwt', currentDate: this.clock.now() });
      return payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        this.logger.debug(`userinfo access token is not valid (${error.code})`);
        return undefined;
      }
      throw error;
    }
  }
}
