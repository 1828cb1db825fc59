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
}

/** What a login page hands to SessionService.signIn. */
export interface SignInUser {
  readonly subjectId: string;
  readonly displayName?: string;
  readonly amr?: readonly string[];
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
}

export function isSessionTicket(value: unknown): value is SessionTicket {
  if (!value || typeof value !== 'object') return false;
  const t = value as Record<string, unknown>;
  return t.v === 1 && typeof t.sid === 'string' && typeof t.sub === 'string' && typeof t.authTime === 'number'
    && Array.isArray(t.amr) && Array.isArray(t.clients);
}
