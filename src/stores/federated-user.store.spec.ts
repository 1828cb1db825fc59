import { FederatedUserStore } from './federated-user.store';
import type { ClaimValue, User, UserLink } from './models';
import { UserLinkStore } from './user-link.store';
import { UserStore } from './user.store';

class OneUser extends UserStore {
  readonly alice: User = { subjectId: '1', username: 'alice', claims: { name: 'Alice' } };
  async validateCredentials(username: string, password: string): Promise<User | undefined> {
    return username === 'alice' && password === 'pw' ? this.alice : undefined;
  }
  async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return subjectId === '1' ? this.alice : undefined;
  }
}

class Links extends UserLinkStore {
  constructor(private readonly links: UserLink[]) { super(); }
  async find(scheme: string, externalSubject: string): Promise<UserLink | undefined> {
    return this.links.find((l) => l.scheme === scheme && l.externalSubject === externalSubject);
  }
  async create(): Promise<boolean> { return false; }
  async recordSignIn(_s: string, _e: string, _c: Readonly<Record<string, ClaimValue>>): Promise<void> {}
  async findBySubjectId(subjectId: string): Promise<readonly UserLink[]> {
    return this.links.filter((l) => l.subjectId === subjectId);
  }
}

const at = new Date('2030-01-01T00:00:00Z');
const link = (subjectId: string, provisioned: boolean): UserLink => ({
  scheme: 'corp', externalSubject: `ext-${subjectId}`, subjectId, provisioned, claims: { email: 'p@corp.example' }, created: at, lastSignIn: at,
});

describe('FederatedUserStore', () => {
  const store = new FederatedUserStore(new OneUser(), new Links([link('p-1', true), link('1', false), link('l-2', false)]));

  it('findBySubjectId, for a local user, should answer the local store (a link to it adds nothing)', async () => {
    expect(await store.findBySubjectId('1')).toEqual({ subjectId: '1', username: 'alice', claims: { name: 'Alice' } });
  });

  it('findBySubjectId, for an auto-provisioned user, should answer with the claims the link keeps', async () => {
    expect(await store.findBySubjectId('p-1')).toEqual({ subjectId: 'p-1', username: 'corp:ext-p-1', claims: { email: 'p@corp.example' } });
  });

  it('findBySubjectId, for a subject only linked (not provisioned) and unknown locally, or nobody, should answer undefined', async () => {
    expect(await store.findBySubjectId('l-2')).toBeUndefined();
    expect(await store.findBySubjectId('nobody')).toBeUndefined();
  });

  it('validateCredentials, should check local users only (provisioned users have no password here)', async () => {
    expect(await store.validateCredentials('alice', 'pw')).toMatchObject({ subjectId: '1' });
    expect(await store.validateCredentials('corp:ext-p-1', '')).toBeUndefined();
  });
});
