import type { JWTPayload } from 'jose';

/**
 * RFC 8693 §4.1 `act`: the party acting on the subject's behalf (a user by `sub`, or a client by
 * `client_id`); a nested `act` names the prior actor in a delegation chain.
 */
export interface ActorClaim {
  readonly sub?: string;
  readonly client_id?: string;
  readonly act?: ActorClaim;
}

/** Access-token claims (docs/endpoints.md, RFC 9068 §2.2), the same for JWTs and reference tokens. */
export interface AccessTokenClaims extends JWTPayload {
  readonly iss: string;
  readonly aud?: string | string[];
  readonly client_id: string;
  readonly scope: string;
  readonly sub?: string;
  readonly exp: number;
  readonly iat: number;
  readonly nbf: number;
  readonly jti: string;
  readonly auth_time?: number;
  readonly idp?: string;
  readonly amr?: string[];
  readonly sid?: string;
  /** token exchange only (RFC 8693 §4.1) */
  readonly act?: ActorClaim;
}

/** Audiences as a list, whatever shape the claim has. */
export function audiencesOf(claims: Pick<JWTPayload, 'aud'>): readonly string[] {
  if (claims.aud === undefined) return [];
  return typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
}
