import { Injectable } from '@nestjs/common';
import { InvalidTokenError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { UserStore } from '../stores/user.store';
import type { ClaimValue, IdentityResource } from '../stores/models';
import { AccessTokenValidator } from '../token-issuance/access-token.validator';
import { claimsForScopes } from '../token-issuance/identity-token.service';
import { InsufficientScopeError } from './bearer-token';

/**
 * OIDC Core §5.3: the claims of the identity scopes granted to an access token. Accepts JWT
 * access tokens (verified against our keys and issuer) and reference tokens (looked up).
 */
@Injectable()
export class UserInfoService {
  constructor(
    private readonly accessTokens: AccessTokenValidator,
    private readonly catalog: ResourceCatalog,
    private readonly users: UserStore,
  ) {}

  async getUserInfo(token: string, issuer: string): Promise<Record<string, ClaimValue>> {
    const claims = await this.accessTokens.validate(token, issuer);
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
}
