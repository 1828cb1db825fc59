/** A server-side authentication session; `data` is the protected session ticket. */
export interface ServerSideSession {
  /** hash of the session cookie's handle */
  readonly key: string;
  readonly scheme: string;
  readonly subjectId: string;
  readonly sessionId: string;
  readonly displayName?: string;
  readonly created: Date;
  readonly renewed: Date;
  readonly expires?: Date;
  readonly data: string;
}
