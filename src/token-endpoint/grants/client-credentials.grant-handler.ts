import { Injectable } from '@nestjs/common';
import { UnauthorizedClientError } from '../../protocol/protocol-errors';
import { ResourceCatalog } from '../../resources/resource-catalog';
import { resourceValidationError, validateResources } from '../../resources/resource-validation';
import { GRANT_TYPES } from '../../stores/models';
import { AccessTokenService } from '../../token-issuance/access-token.service';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from './grant-handler';

/**
 * RFC 6749 §4.4: a confidential client gets an access token for itself. Identity scopes and
 * offline_access make no sense without a user and are refused; no `scope` means every API scope
 * the client is allowed; `resource` (RFC 8707) narrows the audience.
 */
@Injectable()
@GrantType(GRANT_TYPES.clientCredentials)
export class ClientCredentialsGrantHandler extends GrantHandler {
  constructor(private readonly catalog: ResourceCatalog, private readonly accessTokens: AccessTokenService) {
    super();
  }

  async handle({ params, client, origin }: TokenRequest): Promise<TokenResponse> {
    // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
    if (client.method === 'none') throw new UnauthorizedClientError('client_credentials requires client authentication');

    const validation = validateResources(await this.catalog.getIndex(), {
      client: client.client,
      scope: params.scope,
      resource: params.resource,
      allowIdentityScopes: false,
      allowOfflineAccess: false,
    });
    if (!validation.valid) throw resourceValidationError(validation);

    const token = await this.accessTokens.createAccessToken({
      issuer: origin.issuer,
      client: client.client,
      scopes: validation.resources.scopes,
      apiResources: validation.resources.apiResources,
    });
    return { access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn, scope: token.scope };
  }
}
