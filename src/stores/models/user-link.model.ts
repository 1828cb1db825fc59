import type { ClaimValue } from './user.model';

/**
 * A local subject linked to an external account: (`scheme`, `externalSubject`) is unique. A link
 * made by auto-provisioning also holds that local user's claims (mapped from the provider's).
 */
export interface UserLink {
  readonly scheme: string;
  /** the provider's `sub` */
  readonly externalSubject: string;
  /** the local subject id */
  readonly subjectId: string;
  /** true when the local user was created by this link (auto-provisioning) */
  readonly provisioned: boolean;
  /** the local user's claims from the last sign-in (for provisioned users) */
  readonly claims: Readonly<Record<string, ClaimValue>>;
  readonly created: Date;
  readonly lastSignIn: Date;
}
