import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../../protocol/protocol-errors';
import { OFFLINE_ACCESS_SCOPE } from '../../protocol/scopes';
import { GRANT_TYPES, type Client } from '../../stores/models';
import { RefreshTokenService, successorWithinReuseInterval, type RefreshTokenPayload, type RefreshTokenRequest, type StoredRefreshToken } from '../../token-issuance/refresh-token.service';
import { UserTokenResponseGenerator } from '../user-token-response.generator';
import { GrantHandler, GrantType, type TokenRequest, type TokenResponse } from './grant-handler';

export type RefreshTokenCheck =
  /** `successor`: a spent token presented again within the reuse interval answers with this handle */
  | { readonly valid: true; readonly successor?: string }
  | { readonly valid: false; readonly reason: 'wrong-client' | 'expired' | 'reused' | 'offline-access-withdrawn'; readonly description: string };

/**
 * Whether a stored refresh token may be used now (pure). In order: it belongs to the caller;
 * it has not expired; it was not used before (oneTime: a second use is reuse, RFC 9700 §4.14,
 * except within the client's refreshTokenReuseInterval, which answers with the recorded successor);
 * the client may still hold refresh tokens (allowOfflineAccess, docs/configuration-file.md).
 */
export function checkRefreshToken(stored: StoredRefreshToken, client: Client, now: Date): RefreshTokenCheck {
  if (stored.grant.clientId !== client.clientId || stored.payload.clientId !== client.clientId) {
    return { valid: false, reason: 'wrong-client', description: 'the refresh token was issued to another client' };
  }
  if (stored.grant.expiration && stored.grant.expiration.getTime() <= now.getTime()) {
    return { valid: false, reason: 'expired', description: 'the refresh token has expired' };
  }
  const successor = stored.grant.consumedTime ? successorWithinReuseInterval(stored, client, now) : undefined;
  if (stored.grant.consumedTime && successor === undefined) {
    return { valid: false, reason: 'reused', description: 'the refresh token has already been used' };
  }
  if (!client.allowOfflineAccess || !stored.payload.scopes.includes(OFFLINE_ACCESS_SCOPE)) {
    return { valid: false, reason: 'offline-access-withdrawn', description: 'the client may no longer use refresh tokens' };
  }
  return successor === undefined ? { valid: true } : { valid: true, successor };
}

/**
 * RFC 6749 §6: down-scoping. The requested scopes must all have been granted originally; without
 * `scope` the original grant applies. offline_access stays with the refresh token itself.
 */
export function narrowScopes(granted: readonly string[], scopeParam: string | undefined): readonly string[] | undefined {
  if (scopeParam === undefined) return granted;
  const requested = [...new Set(scopeParam.split(' ').filter((s) => s !== ''))];
  if (requested.length === 0 || requested.some((s) => !granted.includes(s))) return undefined;
  return requested;
}

/** The user grant a refresh token carries: what both the response and the rotated token repeat. */
function userGrantOf(payload: RefreshTokenPayload): Pick<RefreshTokenRequest, 'subjectId' | 'sessionId' | 'authTime' | 'amr' | 'idp' | 'resource'> {
  return {
    subjectId: payload.subjectId,
    sessionId: payload.sessionId,
    authTime: payload.authTime === undefined ? undefined : new Date(payload.authTime),
    amr: payload.amr,
    idp: payload.idp,
    resource: payload.resource,
  };
}

/**
 * RFC 6749 §6 refresh_token grant. `oneTime` refresh tokens rotate on every use and a reused one
 * revokes its whole family (RFC 9700 §4.14.2); `reuse` tokens stay the same (their expiry slides
 * when `sliding`). A new identity token is issued when openid was granted.
 */
@Injectable()
@GrantType(GRANT_TYPES.refreshToken)
export class RefreshTokenGrantHandler extends GrantHandler {

  constructor(
    private readonly refreshTokens: RefreshTokenService,
    private readonly responses: UserTokenResponseGenerator,
    private readonly clock: Clock,
  ) {
    super();
  }

  async handle({ params, client: authenticated, origin }: TokenRequest): Promise<TokenResponse> {
    const client = authenticated.client;
    const handle = params.refresh_token;
    if (handle === undefined) throw new InvalidRequestError('refresh_token is missing');

    const stored = await this.refreshTokens.find(handle);
    if (!stored) throw new InvalidGrantError('the refresh token is invalid');
    const check = checkRefreshToken(stored, client, this.clock.now());
    if (!check.valid) {
      // RFC 9700 §4.14.2: a rotated token presented again revokes its whole family.
      if (check.reason === 'reused') await this.refreshTokens.revokeFamily(stored, client);
      throw new InvalidGrantError(check.description);
    }

    const { successor } = check;
    const scopes = narrowScopes(stored.payload.scopes, params.scope);
    if (!scopes) throw new InvalidScopeError('scope may only narrow the scopes originally granted');
    // The generator validates the (narrowed) scopes again, the client's configuration may have
    // changed since the grant, and checks the user before it rotates. OIDC Core §12.2: the new
    // identity token has no nonce.
    return this.responses.createResponse({
      client,
      origin,
      ...userGrantOf(stored.payload),
      scopes,
      refresh: {
        kind: 'rotate',
        // Within the reuse interval: the same successor the first refresh got (find() checked its family).
        next: successor === undefined ? () => this.nextRefreshToken(handle, stored, client) : async () => successor,
      },
    });
  }

  /** oneTime: consume and rotate within the family; reuse: keep the handle (sliding: extend it). */
  private async nextRefreshToken(handle: string, stored: StoredRefreshToken, client: Client): Promise<string> {
    if (client.refreshTokenUsage === 'reuse') {
      if (client.refreshTokenExpiration === 'sliding') await this.refreshTokens.slide(stored, client);
      // Returned again, as Duende does, so clients that always replace their token keep working.
      return handle;
    }
    const rotation = await this.refreshTokens.rotateOneTime(stored, client);
    if (rotation.outcome === 'rotated') return rotation.handle;
    throw new InvalidGrantError(rotation.outcome === 'reused' ? 'the refresh token has already been used' : 'the refresh token has been revoked');
  }
}
