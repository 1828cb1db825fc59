import type { JWTPayload } from 'jose';

/** OIDC Back-Channel Logout 1.0 §2.4: the event that marks a JWT as a logout token. */
export const BACK_CHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** JOSE `typ` of logout tokens (Back-Channel Logout 1.0 §2.4, explicit typing per RFC 8725 §3.11). */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
/** Logout tokens are consumed at once; a short life limits replay. */
export const LOGOUT_TOKEN_LIFETIME_SECONDS = 300;

export interface LogoutTokenInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly subjectId?: string;
  readonly sessionId?: string;
  readonly now: Date;
  readonly jti: string;
}

/**
 * The claims of a logout token (Back-Channel Logout 1.0 §2.4): iss, aud, iat, exp, jti,
 * events, sid and/or sub — and never a nonce (§2.4: "MUST NOT contain a nonce Claim").
 */
export function buildLogoutTokenClaims(input: LogoutTokenInput): JWTPayload {
  if (!input.subjectId && !input.sessionId) throw new Error('a logout token needs sub or sid');
  const iat = Math.floor(input.now.getTime() / 1000);
  return {
    iss: input.issuer,
    aud: input.clientId,
    iat,
    exp: iat + LOGOUT_TOKEN_LIFETIME_SECONDS,
    jti: input.jti,
    events: { [BACK_CHANNEL_LOGOUT_EVENT]: {} },
    ...(input.subjectId ? { sub: input.subjectId } : {}),
    ...(input.sessionId ? { sid: input.sessionId } : {}),
  };
}
