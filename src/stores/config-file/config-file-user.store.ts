import { Injectable } from '@nestjs/common';
import type { ConfiguredUser, IdentityConfiguration } from './identity-config.loader';
import type { User } from '../models';
import { UserStore } from '../user.store';
import { IdentityConfigurationHolder } from './identity-configuration.holder';
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
  private indexed?: {
    readonly of: IdentityConfiguration;
    readonly byUsername: ReadonlyMap<string, Entry>;
    readonly bySubjectId: ReadonlyMap<string, User>;
  };
  /** Checked for unknown usernames so that a miss costs the same scrypt work as a wrong password. */
  private readonly decoy = unmatchablePasswordHash();

  constructor(private readonly holder: IdentityConfigurationHolder) {
    super();
  }

  override async validateCredentials(username: string, password: string): Promise<User | undefined> {
    const entry = this.index().byUsername.get(username);
    const matches = await verifyPassword(password, entry?.passwordHash ?? this.decoy);
    return entry && matches ? entry.user : undefined;
  }

  override async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return this.index().bySubjectId.get(subjectId);
  }

  /** The users of the file's current version, indexed once per version. */
  private index(): NonNullable<ConfigFileUserStore['indexed']> {
    const current = this.holder.current;
    if (this.indexed?.of !== current) {
      const entries = current.users.map((u): Entry => ({ user: publicView(u), passwordHash: u.passwordHash }));
      this.indexed = {
        of: current,
        byUsername: new Map(entries.map((e) => [e.user.username, e])),
        bySubjectId: new Map(entries.map((e) => [e.user.subjectId, e.user])),
      };
    }
    return this.indexed;
  }
}

/** The user without the password hash, so callers never hold it. */
function publicView(user: ConfiguredUser): User {
  return Object.freeze({ subjectId: user.subjectId, username: user.username, claims: user.claims });
}
