/**
 * Every purpose chain this server passes to `createProtector`, in one place. A purpose is part
 * of the key derivation (ASP.NET Core's purpose strings): payloads protected under one chain
 * never unprotect under another, and changing a value here makes every payload already stored
 * or handed out under it unreadable. Add new chains; never edit an existing one.
 */
export const DATA_PROTECTION_PURPOSES = {
  /** signing keys at rest in the signing-key store */
  signingKeys: ['SigningKeys'],
  /** persisted grants: the chain's second element is the grant type (PERSISTED_GRANT_TYPES) */
  authorizationCode: ['persisted-grant', 'authorization_code'],
  refreshToken: ['persisted-grant', 'refresh_token'],
  referenceToken: ['persisted-grant', 'reference_token'],
  userConsent: ['consent', 'user_consent'],
  deviceCode: ['device-flow', 'device-code'],
  /** payloads that travel through the browser */
  authorizeContext: ['authorize', 'context'],
  deviceInteraction: ['device-flow', 'interaction'],
  endSessionContext: ['end-session', 'logout-context'],
  antiforgery: ['ui', 'antiforgery'],
  sessionCookie: ['sessions', 'cookie'],
  sessionTicket: ['sessions', 'ticket'],
  /** an external provider's client secret in the database configuration store */
  externalProviderSecret: ['configuration', 'external-provider', 'client-secret'],
  /** the correlation state of an external sign-in, kept in the distributed cache */
  externalSignInState: ['external-sign-in', 'state'],
} as const satisfies Record<string, readonly [string, ...string[]]>;

export type DataProtectionPurpose = (typeof DATA_PROTECTION_PURPOSES)[keyof typeof DATA_PROTECTION_PURPOSES];
