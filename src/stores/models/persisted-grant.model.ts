/** Grant types kept in the persisted-grant store (Duende's PersistedGrantTypes). */
export const PERSISTED_GRANT_TYPES = {
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  referenceToken: 'reference_token',
  userConsent: 'user_consent',
  pushedAuthorizationRequest: 'pushed_authorization_request',
  /** "refresh-token family F was revoked": issuing and lookup both refuse F's tokens (RFC 9700 §4.14.2) */
  refreshTokenFamilyRevocation: 'refresh_token_family_revocation',
} as const;
export type PersistedGrantType = (typeof PERSISTED_GRANT_TYPES)[keyof typeof PERSISTED_GRANT_TYPES];

/**
 * A stored grant. `key` is a hash of the handle, never the handle; `data` is the payload
 * already protected by data protection. Only the lookup metadata stays in clear (docs/deployment.md).
 */
export interface PersistedGrant {
  readonly key: string;
  readonly type: string;
  readonly subjectId?: string;
  readonly sessionId?: string;
  readonly clientId: string;
  readonly description?: string;
  /** refresh tokens rotated from one grant, and their family's revocation marker, share it */
  readonly familyId?: string;
  readonly creationTime: Date;
  readonly expiration?: Date;
  readonly consumedTime?: Date;
  readonly data: string;
}

export interface PersistedGrantFilter {
  readonly subjectId?: string;
  readonly sessionId?: string;
  readonly clientId?: string;
  readonly type?: string;
  readonly familyId?: string;
}
