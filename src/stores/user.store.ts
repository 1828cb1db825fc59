import type { User } from './models';

/** The user store. The config-file store is a demo; real deployments bind their own. */
export abstract class UserStore {
  /** The user when the credentials are valid; undefined otherwise (compare in constant time). */
  abstract validateCredentials(username: string, password: string): Promise<User | undefined>;
  abstract findBySubjectId(subjectId: string): Promise<User | undefined>;
}
