import { Injectable } from '@nestjs/common';
import type { RequestOrigin } from '../hosting/request-origin';
import { InvalidGrantError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { resourceValidationError, validateResources, type ValidatedResources } from '../resources/resource-validation';
import type { Client } from '../stores/models';
import { UserStore } from '../stores/user.store';
import { AccessTokenService } from '../token-issuance/access-token.service';
import { IdentityTokenService } from '../token-issuance/identity-token.service';
import { RefreshTokenService } from '../token-issuance/refresh-token.service';
import type { TokenResponse } from './grants/grant-handler';
import { LOCAL_IDENTITY_PROVIDER } from '../sessions/user-session';

/** Where the response's refresh token comes from; each grant handler says which. */
export type RefreshTokenIssuance =
  /** authorization_code, device_code: a new token family, only when offline_access was granted */
  | { readonly kind: 'new-family' }
  /**
   * refresh_token: the handler's rotation (or reuse) of the presented token. Run only after the
   * grant was re-validated, so a refused request never spends a oneTime token.
   */
  | { readonly kind: 'rotate'; readonly next: () => Promise<string> };

/** A user grant whose own checks (code + PKCE, device polling, refresh token) have passed. */
export interface UserTokenRequest {
  readonly client: Client;
  readonly origin: RequestOrigin;
  readonly subjectId: string;
  readonly sessionId?: string;
  readonly authTime?: Date;
  readonly amr?: readonly string[];
  /** the identity provider the user signed in with (an external provider's scheme); absent: local */
  readonly idp?: string;
  /** the scopes the grant carries; validated again here */
  readonly scopes: readonly string[];
  /** RFC 8707 resource the grant was narrowed to */
  readonly resource?: string;
  /** OIDC Core §3.1.3.6: echoed only by the authorization code grant */
  readonly nonce?: string;
  readonly refresh: RefreshTokenIssuance;
}

/**
 * The token response of the user grants (as Duende's TokenResponseGenerator): confirm the grant
 * still holds — the client's scopes may have changed since it was given and the user must still
 * exist — then issue the access token, the identity token (with at_hash) when openid was granted,
 * and the refresh token.
 */
@Injectable()
export class UserTokenResponseGenerator {
  constructor(
    private readonly catalog: ResourceCatalog,
    private readonly users: UserStore,
    private readonly accessTokens: AccessTokenService,
    private readonly identityTokens: IdentityTokenService,
    private readonly refreshTokens: RefreshTokenService,
  ) {}

  async createResponse(request: UserTokenRequest): Promise<TokenResponse> {
    const { client, origin, subjectId, sessionId, authTime, amr } = request;
    const validation = validateResources(await this.catalog.getIndex(), {
      client,
      scope: request.scopes.join(' '),
      resource: request.resource,
      allowIdentityScopes: true,
      allowOfflineAccess: true,
    });
    if (!validation.valid) throw resourceValidationError(validation);
    const resources = validation.resources;
    const user = await this.users.findBySubjectId(subjectId);
    if (!user) throw new InvalidGrantError('the user is no longer active');

    // Rotation only now that the grant holds (a refused request keeps its token), before the new tokens.
    const rotated = request.refresh.kind === 'rotate' ? await request.refresh.next() : undefined;
    const accessToken = await this.accessTokens.createAccessToken({
      issuer: origin.issuer,
      client,
      scopes: resources.scopes,
      apiResources: resources.apiResources,
      subject: subjectId,
      sessionId,
      authTime,
      amr,
      idp: request.idp ?? LOCAL_IDENTITY_PROVIDER,
    });
    // OIDC Core §3.1.3.6 / §12.2: at_hash binds the identity token to this access token.
    const idToken = resources.scopes.includes('openid')
      ? await this.identityTokens.createIdentityToken({
        issuer: origin.issuer,
        client,
        subject: subjectId,
        identityResources: resources.identityResources,
        sessionId,
        authTime,
        amr,
        nonce: request.nonce,
        accessToken: accessToken.accessToken,
        user,
        idp: request.idp,
      })
      : undefined;
    const refreshToken = request.refresh.kind === 'rotate' ? rotated : await this.startFamily(request, resources);

    return {
      access_token: accessToken.accessToken,
      token_type: 'Bearer',
      expires_in: accessToken.expiresIn,
      scope: accessToken.scope,
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
      ...(idToken !== undefined ? { id_token: idToken } : {}),
    };
  }

  /** A first refresh token, when offline_access was granted (which implies the client's allowOfflineAccess). */
  private async startFamily(request: UserTokenRequest, resources: ValidatedResources): Promise<string | undefined> {
    if (!resources.offlineAccess) return undefined;
    return this.refreshTokens.createRefreshToken({
      client: request.client,
      subjectId: request.subjectId,
      scopes: resources.scopes,
      sessionId: request.sessionId,
      authTime: request.authTime,
      amr: request.amr,
      idp: request.idp,
      resource: request.resource,
    });
  }
}
