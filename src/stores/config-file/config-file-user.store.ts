import { Inject, Injectable } from '@nestjs/common';
import type { ConfiguredUser, IdentityConfiguration } from './identity-config.loader';
import type { User } from '../models';
import { UserStore } from '../user.store';
import { IDENTITY_CONFIGURATION } from './identity-configuration.provider';
import { unmatchablePasswordHash, verifyPassword, type PasswordHash } from './password-hash';

interface Entry {
  readonly user: User;
  readonly passwordHash: PasswordHash;
}

/**
 * The demo user store of the configuration file (like Duende's TestUserStore). Real deployments
 * bind their own UserStore. Usernames are case-sensitive, as in TestUserStore.
 */
@Injectable()
export class ConfigFileUserStore extends UserStore {
  private readonly byUsername: ReadonlyMap<string, Entry>;
  private readonly bySubjectId: ReadonlyMap<string, User>;
  /** Checked for unknown usernames so that a miss costs the same scrypt work as a wrong password. */
  private readonly decoy = unmatchablePasswordHash();

  constructor(@Inject(IDENTITY_CONFIGURATION) configuration: IdentityConfiguration) {
    super();
    const entries = configuration.users.map((u): Entry => ({ user: publicView(u), passwordHash: u.passwordHash }));
    this.byUsername = new Map(entries.map((e) => [e.user.username, e]));
    this.bySubjectId = new Map(entries.map((e) => [e.user.subjectId, e.user]));
  }

  override async validateCredentials(username: string, password: string): Promise<User | undefined> {
    const entry = this.byUsername.get(username);
    const matches = await verifyPassword(password, entry?.passwordHash ?? this.decoy);
    return entry && matches ? entry.user : undefined;
  }

  override async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return this.bySubjectId.get(subjectId);
  }
}

/** The user without the password hash, so callers never hold it. */
function publicView(user: ConfiguredUser): User {
  return Object.freeze({ subjectId: user.subjectId, username: user.username, claims: user.claims });
}
