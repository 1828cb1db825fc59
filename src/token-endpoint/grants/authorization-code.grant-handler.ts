import { Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthorizationCodeService, type StoredAuthorizationCode } from '../../authorize/authorization-code.service';
import { Clock } from '../../common/clock';
import { InvalidGrantError, InvalidRequestError } from '../../protocol/protocol-errors';
import { PersistedGrantStore } from '../../stores/persisted-grant.store';
import { GRANT_TYPES, PERSISTED_GRANT_TYPES } from '../../stores/models';
import { UserTokenResponseGenerator } from '../user-token-response.generator';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from './grant-handler';

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~] */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * RFC 6749 §4.1.3: exchanges a one-time authorization code for tokens. The checks, in order:
 * code known, issued to this client, not expired, not used before (a second use revokes what
 * the first issued — RFC 6749 §4.1.2, RFC 9700 §4.5), redirect_uri identical, PKCE verifier
 * matches (RFC 7636 §4.6), scopes still valid, user still exists.
 */
@Injectable()
@GrantType(GRANT_TYPES.authorizationCode)
export class AuthorizationCodeGrantHandler extends GrantHandler {
  private readonly logger = new Logger(AuthorizationCodeGrantHandler.name);

  constructor(
    private readonly codes: AuthorizationCodeService,
    private readonly grants: PersistedGrantStore,
    private readonly responses: UserTokenResponseGenerator,
    private readonly clock: Clock,
  ) {
    super();
  }

  async handle({ params, client: authenticated, origin }: TokenRequest): Promise<TokenResponse> {
    const client = authenticated.client;
    if (params.code === undefined) throw new InvalidRequestError('code is missing');
    if (params.redirect_uri === undefined) throw new InvalidRequestError('redirect_uri is missing');

    const stored = await this.codes.find(params.code);
    if (!stored) throw new InvalidGrantError('the authorization code is invalid');
    const { grant, payload } = stored;
    // Another client's code: refuse without spending it (RFC 6749 §4.1.3).
    if (grant.clientId !== client.clientId || payload.clientId !== client.clientId) throw new InvalidGrantError('the authorization code was issued to another client');
    // A code redeemed before is a replay even once it has expired: still revoke what it produced.
    if (grant.consumedTime) return this.rejectReplay(stored);
    if (grant.expiration && grant.expiration.getTime() <= this.clock.now().getTime()) throw new InvalidGrantError('the authorization code has expired');
    if (!(await this.codes.consume(stored))) return this.rejectReplay(stored);
    if (params.redirect_uri !== payload.redirectUri) throw new InvalidGrantError('redirect_uri does not match the authorization request');
    checkPkce(payload.codeChallenge, params.code_verifier);

    // Scopes still valid and user still active are checked by the generator, before any token.
    return this.responses.createResponse({
      client,
      origin,
      subjectId: payload.subjectId,
      sessionId: payload.sessionId,
      authTime: new Date(payload.authTime),
      amr: payload.amr,
      idp: payload.idp,
      scopes: payload.scopes,
      resource: payload.resource,
      nonce: payload.nonce,
      refresh: { kind: 'new-family' },
    });
  }

  private async rejectReplay(stored: StoredAuthorizationCode): Promise<never> {
    await this.revokeTokensIssuedFrom(stored);
    throw new InvalidGrantError('the authorization code has already been used');
  }

  /**
   * RFC 6749 §4.1.2 / RFC 9700 §4.5: a replayed code means it leaked, so the tokens the first
   * redemption produced are revoked. They carry the code's subject, client and session id.
   */
  private async revokeTokensIssuedFrom({ grant, payload }: StoredAuthorizationCode): Promise<void> {
    this.logger.warn(`authorization code of client ${grant.clientId} was used twice: revoking the tokens issued from it`);
    for (const type of [PERSISTED_GRANT_TYPES.refreshToken, PERSISTED_GRANT_TYPES.referenceToken]) {
      await this.grants.removeAll({ subjectId: payload.subjectId, clientId: payload.clientId, sessionId: payload.sessionId, type });
    }
  }
}

/**
 * RFC 7636 §4.6 with S256 only; and RFC 9700 §2.1.1: a verifier without a challenge is refused
 * too (a PKCE downgrade attempt).
 */
export function checkPkce(challenge: string | undefined, verifier: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined) throw new InvalidGrantError('code_verifier was sent but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw new InvalidGrantError('code_verifier is missing');
  if (!CODE_VERIFIER.test(verifier)) throw new InvalidGrantError('code_verifier is malformed');
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) throw new InvalidGrantError('code_verifier does not match the code_challenge');
}
