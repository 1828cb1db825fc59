import type { User } from './models';
import { UserLinkStore } from './user-link.store';
import { UserStore } from './user.store';

/**
 * The default UserStore with federation: the local users (the configuration file's), then the
 * users auto-provisioned through an external provider, whose claims the UserLinkStore keeps. A
 * deployment that binds its own UserStore answers for provisioned subjects itself (README.md,
 * "External providers"), or wraps its store in this class.
 */
export class FederatedUserStore extends UserStore {
  constructor(private readonly local: UserStore, private readonly links: UserLinkStore) {
    super();
  }

  override validateCredentials(username: string, password: string): Promise<User | undefined> {
    // Provisioned users have no password here: they sign in at their provider.
    return this.local.validateCredentials(username, password);
  }

  override async findBySubjectId(subjectId: string): Promise<User | undefined> {
    const local = await this.local.findBySubjectId(subjectId);
    if (local) return local;
    const provisioned = (await this.links.findBySubjectId(subjectId)).find((link) => link.provisioned);
    if (!provisioned) return undefined;
    return { subjectId, username: `${provisioned.scheme}:${provisioned.externalSubject}`, claims: provisioned.claims };
  }
}
