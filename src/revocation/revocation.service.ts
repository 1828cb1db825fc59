import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { AuthenticatedClient } from '../client-authentication/authenticated-client';
import { InvalidRequestError, UnsupportedTokenTypeError } from '../protocol/protocol-errors';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { PERSISTED_GRANT_TYPES, type PersistedGrant } from '../stores/models';
import { persistedGrantKey } from '../token-issuance/token-handle';

export const TOKEN_TYPE_HINTS = ['access_token', 'refresh_token'] as const;
export type TokenTypeHint = (typeof TOKEN_TYPE_HINTS)[number];

const GRANT_TYPE_BY_HINT: Readonly<Record<TokenTypeHint, string>> = {
  access_token: PERSISTED_GRANT_TYPES.referenceToken,
  refresh_token: PERSISTED_GRANT_TYPES.refreshToken,
};

/** Where to look first: the hinted type, then the other (RFC 7009 §2.1: the hint is only a hint). */
export function lookupOrder(hint: string | undefined): readonly string[] {
  if (hint === undefined) return [PERSISTED_GRANT_TYPES.referenceToken, PERSISTED_GRANT_TYPES.refreshToken];
  if (!(TOKEN_TYPE_HINTS as readonly string[]).includes(hint)) {
    throw new UnsupportedTokenTypeError(`token_type_hint must be one of ${TOKEN_TYPE_HINTS.join(', ')}`);
  }
  const first = GRANT_TYPE_BY_HINT[hint as TokenTypeHint];
  return [first, ...Object.values(GRANT_TYPE_BY_HINT).filter((type) => type !== first)];
}

/**
 * RFC 7009: revokes reference access tokens and refresh tokens, only for the client they were
 * issued to. Unknown tokens (and JWT access tokens, which cannot be revoked) are not an error.
 */
@Injectable()
export class RevocationService {
  private readonly logger = new Logger(RevocationService.name);

  constructor(private readonly grants: PersistedGrantStore, private readonly clock: Clock) {}

  async revoke(token: string, hint: string | undefined, caller: AuthenticatedClient): Promise<void> {
    const { client } = caller;
    for (const type of lookupOrder(hint)) {
      const grant = await this.grants.get(persistedGrantKey(token, type));
      if (!grant || grant.type !== type) continue;
      if (grant.clientId !== client.clientId) {
        // RFC 7009 §2.1: only the client the token was issued to may revoke it; otherwise "the
        // request is refused and the client is informed of the error". A public client proved
        // nothing, so it gets the unknown-token answer instead of an oracle for guessed tokens
        // (node-oidc-provider's revocation policy).
        this.logger.warn(`client ${client.clientId} tried to revoke a ${type} of client ${grant.clientId}`);
        if (caller.method === 'none') return;
        throw new InvalidRequestError('the token was not issued to this client');
      }
      await this.remove(grant);
      return;
    }
  }

  private async remove(grant: PersistedGrant): Promise<void> {
    await this.grants.remove(grant.key);
    // RFC 7009 §2.1: revoking a refresh token should also invalidate the access tokens of the
    // same grant — here the reference tokens of the same user, client and session.
    if (grant.type === PERSISTED_GRANT_TYPES.refreshToken && grant.subjectId !== undefined) {
      await this.grants.removeAll({
        type: PERSISTED_GRANT_TYPES.referenceToken,
        clientId: grant.clientId,
        subjectId: grant.subjectId,
        ...(grant.sessionId !== undefined ? { sessionId: grant.sessionId } : {}),
      });
    }
    this.logger.debug(`revoked a ${grant.type} of client ${grant.clientId} at ${this.clock.now().toISOString()}`);
  }
}
