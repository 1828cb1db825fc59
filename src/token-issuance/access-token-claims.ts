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

/** Clock skew tolerated between instances when a presented token's times are checked, in seconds. */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 30;

/**
 * docs/endpoints.md, "Access tokens presented to this server": an access token presented to
 * this server (userinfo, introspection, token exchange) must carry `iss`, `client_id`, a string `scope`, `jti`, `iat` not in the future, and an
 * `exp` no further ahead than its client's access-token lifetime; `sub` and `aud` well-typed when
 * present. The signature, issuer and expiry are checked before; this catches a claim set that is
 * signed by our key yet malformed (never a 500 later). Returns the broken rule, or undefined.
 */
export function accessTokenClaimsProblem(payload: JWTPayload, clientLifetimeSeconds: number, nowSeconds: number): string | undefined {
  const claims: Readonly<Record<string, unknown>> = payload;
  if (typeof claims.client_id !== 'string' || claims.client_id === '') return 'client_id is missing';
  if (typeof claims.scope !== 'string') return 'scope is not a string';
  if (typeof claims.jti !== 'string' || claims.jti === '') return 'jti is missing';
  if (!isNumericDate(claims.iat)) return 'iat is missing';
  if (claims.iat > nowSeconds + ACCESS_TOKEN_CLOCK_SKEW_SECONDS) return 'iat is in the future';
  if (!isNumericDate(claims.exp)) return 'exp is missing';
  if (claims.exp - nowSeconds > clientLifetimeSeconds + ACCESS_TOKEN_CLOCK_SKEW_SECONDS) return 'exp is further ahead than the client\'s access-token lifetime';
  if (claims.sub !== undefined && (typeof claims.sub !== 'string' || claims.sub === '')) return 'sub is not a string';
  const { aud } = claims;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return 'aud is malformed';
  return undefined;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
