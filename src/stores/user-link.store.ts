import type { ClaimValue, UserLink } from './models';

/**
 * Links between external accounts (scheme + the provider's `sub`) and local subjects, and the
 * users created by auto-provisioning. A pair is linked at most once: `create` answers false when
 * another sign-in linked it first, so two callbacks at once end on one local subject.
 */
export abstract class UserLinkStore {
  abstract find(scheme: string, externalSubject: string): Promise<UserLink | undefined>;
  /** Stores a new link; false (and nothing changed) when (scheme, externalSubject) is linked already. */
  abstract create(link: UserLink): Promise<boolean>;
  /** Records a sign-in: the time and, for a provisioned user, the claims mapped this time. */
  abstract recordSignIn(scheme: string, externalSubject: string, claims: Readonly<Record<string, ClaimValue>>, at: Date): Promise<void>;
  /** The links of one local subject (a user may link several providers). */
  abstract findBySubjectId(subjectId: string): Promise<readonly UserLink[]>;
}
