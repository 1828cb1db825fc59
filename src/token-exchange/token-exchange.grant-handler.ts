import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { InvalidRequestError, InvalidScopeError, InvalidTargetError, type ProtocolError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { resourceValidationError } from '../resources/resource-validation';
import { UserStore } from '../stores/user.store';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from '../token-endpoint/grants/grant-handler';
import type { AccessTokenClaims } from '../token-issuance/access-token-claims';
import { AccessTokenService } from '../token-issuance/access-token.service';
import { AccessTokenValidator } from '../token-issuance/access-token.validator';
import {
  ACCESS_TOKEN_TYPE, actorClaim, grantExchangeScopes, hasAccessTokenShape, narrowToTargets, readExchangeParameters,
  TOKEN_EXCHANGE_GRANT_TYPE, withLifetimeCappedBy, type ExchangeFailure,
} from './token-exchange.policy';

/**
 * RFC 8693 token exchange, the first extension grant, built only on what other modules export:
 * an access token of this server (`subject_token`, optionally an `actor_token`) becomes a new
 * access token for the exchanging client, narrowed in scope and audience, that keeps the
 * subject's user and names the actor in `act`. No refresh or identity token is issued.
 */
@Injectable()
@GrantType(TOKEN_EXCHANGE_GRANT_TYPE)
export class TokenExchangeGrantHandler extends GrantHandler {
  constructor(
    private readonly presentedTokens: AccessTokenValidator,
    private readonly catalog: ResourceCatalog,
    private readonly users: UserStore,
    private readonly accessTokens: AccessTokenService,
    private readonly clock: Clock,
  ) {
    super();
  }

  async handle({ params, client: authenticated, origin }: TokenRequest): Promise<TokenResponse> {
    const client = authenticated.client;
    const read = readExchangeParameters(params);
    if (!read.valid) throw exchangeError(read);
    const { parameters } = read;

    const subject = await this.validatePresented(parameters.subjectToken, origin.issuer, 'subject_token');
    const actor = parameters.actorToken === undefined ? undefined : await this.validatePresented(parameters.actorToken, origin.issuer, 'actor_token');
    if (subject.sub !== undefined && !(await this.users.findBySubjectId(subject.sub))) {
      throw new InvalidRequestError('the user of the subject_token is no longer active');
    }

    const granted = grantExchangeScopes(await this.catalog.getIndex(), { client, subject, scope: parameters.scope });
    if (!granted.valid) throw resourceValidationError(granted);
    const narrowed = narrowToTargets(granted.resources, parameters.targets);
    if (!narrowed.valid) throw exchangeError(narrowed);
    const resources = narrowed.resources;

    const token = await this.accessTokens.createAccessToken({
      issuer: origin.issuer,
      client: withLifetimeCappedBy(client, subject, this.clock.now()),
      scopes: resources.scopes,
      apiResources: resources.apiResources,
      // The subject's user and how it signed in stay with the new token; the actor is named apart.
      subject: subject.sub,
      sessionId: subject.sid,
      authTime: subject.auth_time === undefined ? undefined : new Date(subject.auth_time * 1000),
      amr: subject.amr,
      idp: subject.idp,
      act: actorClaim(client.clientId, subject, actor),
    });
    // RFC 8693 §2.2.1: issued_token_type is required; token_type is "Bearer" for access tokens.
    return {
      access_token: token.accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: token.expiresIn,
      scope: token.scope,
    };
  }

  /**
   * An access token of this server, valid now (signature against our keys, issuer, `at+jwt`,
   * lifetime; or a live reference token). RFC 8693 §2.2.2: "If … either the subject_token or
   * actor_token are invalid for any reason, or are unacceptable based on policy … The value of the
   * error parameter MUST be the invalid_request error code." The reason is not told (no oracle).
   */
  private async validatePresented(token: string, issuer: string, name: 'subject_token' | 'actor_token'): Promise<AccessTokenClaims> {
    const claims = await this.presentedTokens.validate(token, issuer);
    if (!claims || !hasAccessTokenShape(claims)) throw new InvalidRequestError(`the ${name} is invalid or expired`);
    return claims;
  }
}

function exchangeError(failure: ExchangeFailure): ProtocolError {
  switch (failure.error) {
    case 'invalid_scope': return new InvalidScopeError(failure.description);
    case 'invalid_target': return new InvalidTargetError(failure.description);
    case 'invalid_request': return new InvalidRequestError(failure.description);
  }
}
