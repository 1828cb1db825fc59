/**
 * A server-side authentication session; `data` is the protected session ticket, which alone holds
 * the user's name and claims. Only lookup metadata stays in clear (docs/deployment.md, "State at rest").
 */
export interface ServerSideSession {
  /** hash of the session cookie's handle */
  readonly key: string;
  readonly scheme: string;
  readonly subjectId: string;
  readonly sessionId: string;
  readonly created: Date;
  readonly renewed: Date;
  readonly expires?: Date;
  readonly data: string;
}
