/** The signed-in user's authentication session, as the protocol endpoints see it. */
export interface UserSession {
  /** hash of the cookie handle: the server-side session key */
  readonly key: string;
  /** the OIDC `sid`, shared by all clients that took part in this session */
  readonly sessionId: string;
  readonly subjectId: string;
  readonly displayName?: string;
  readonly authTime: Date;
  /** authentication methods references (RFC 8176), e.g. ["pwd"] */
  readonly amr: readonly string[];
  /** clients that received tokens in this session (end session and back-channel logout) */
  readonly clientIds: readonly string[];
  readonly created: Date;
  readonly expires: Date;
  /** the external provider's scheme (the `idp` claim) for a federated sign-in; absent: `local` */
  readonly idp?: string;
  /** the external provider's id token, kept for its end_session_endpoint (id_token_hint) */
  readonly externalIdToken?: string;
}

/** `idp` of a local (password) sign-in, as Duende's IdentityServerConstants.LocalIdentityProvider. */
export const LOCAL_IDENTITY_PROVIDER = 'local';

/** What a login page hands to SessionService.signIn. */
export interface SignInUser {
  readonly subjectId: string;
  readonly displayName?: string;
  readonly amr?: readonly string[];
  /** default `local`; an external provider's scheme for federated sign-ins */
  readonly idp?: string;
  readonly externalIdToken?: string;
}

/** The protected session ticket kept in ServerSideSessionStore.data. */
export interface SessionTicket {
  readonly v: 1;
  readonly sid: string;
  readonly sub: string;
  readonly name?: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly clients: readonly string[];
  /** absent in tickets written before federation: `local` */
  readonly idp?: string;
  readonly externalIdToken?: string;
}

export function isSessionTicket(value: unknown): value is SessionTicket {
  if (!value || typeof value !== 'object') return false;
  const t = value as Record<string, unknown>;
  return t.v === 1 && typeof t.sid === 'string' && typeof t.sub === 'string' && typeof t.authTime === 'number'
    && Array.isArray(t.amr) && Array.isArray(t.clients)
    && (t.idp === undefined || typeof t.idp === 'string') && (t.externalIdToken === undefined || typeof t.externalIdToken === 'string');
}
