import { randomUUID } from 'node:crypto';
import type { UserLink } from '../../src/stores/models';
import { TypeOrmUserLinkStore, UserLinkEntity } from '../../src/stores/typeorm';
import type { UserLinkStore } from '../../src/stores/user-link.store';
import { describeEachStoreDatabase, type OpenedDatabase } from '../support/store-databases';

const NOW = new Date('2026-03-01T12:00:00.789Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function aLink(overrides: Partial<UserLink> = {}): UserLink {
  return {
    scheme: 'corp',
    externalSubject: `ext-${randomUUID()}`,
    subjectId: randomUUID(),
    provisioned: true,
    claims: { email: 'alice@corp.example', name: 'Alice', email_verified: true, groups: ['a', 'b'] },
    created: NOW,
    lastSignIn: NOW,
    ...overrides,
  };
}

/** The UserLinkStore contract, on every database the TypeORM store supports. */
describeEachStoreDatabase('UserLinkStore', (database) => {
  let opened: OpenedDatabase;
  let store: UserLinkStore;

  beforeAll(async () => {
    opened = await database.open();
    store = new TypeOrmUserLinkStore(opened.dataSource.getRepository(UserLinkEntity));
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.dataSource.getRepository(UserLinkEntity).clear();
  });

  it('find, after create, should return the link with its claims and dates', async () => {
    const link = aLink();
    expect(await store.create(link)).toBe(true);
    expect(await store.find(link.scheme, link.externalSubject)).toEqual(link);
  });

  it('find, for an unknown pair or the same subject at another provider, should return undefined', async () => {
    const link = aLink();
    await store.create(link);
    expect(await store.find('corp', 'nobody')).toBeUndefined();
    expect(await store.find('other', link.externalSubject)).toBeUndefined();
  });

  it('create, when the pair is linked already, should answer false and keep the first link', async () => {
    const first = aLink();
    await store.create(first);
    expect(await store.create({ ...first, subjectId: 'someone-else' })).toBe(false);
    expect((await store.find(first.scheme, first.externalSubject))?.subjectId).toBe(first.subjectId);
  });

  it('create, twice at once for one pair, should link it once', async () => {
    const base = aLink();
    const results = await Promise.all([store.create(base), store.create({ ...base, subjectId: 'racer' })]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await store.find(base.scheme, base.externalSubject);
    expect([base.subjectId, 'racer']).toContain(stored?.subjectId);
  });

  it('recordSignIn, for a provisioned user, should update the claims and the time', async () => {
    const link = aLink();
    await store.create(link);
    await store.recordSignIn(link.scheme, link.externalSubject, { email: 'new@corp.example' }, minutes(5));
    expect(await store.find(link.scheme, link.externalSubject)).toMatchObject({ claims: { email: 'new@corp.example' }, lastSignIn: minutes(5), created: NOW });
  });

  it('recordSignIn, for a link to an existing local user, should keep its (empty) claims', async () => {
    const link = aLink({ provisioned: false, claims: {} });
    await store.create(link);
    await store.recordSignIn(link.scheme, link.externalSubject, { email: 'x@corp.example' }, minutes(5));
    expect(await store.find(link.scheme, link.externalSubject)).toMatchObject({ claims: {}, lastSignIn: minutes(5) });
  });

  it('findBySubjectId should return every link of that subject, oldest first, and no other', async () => {
    const subjectId = randomUUID();
    const older = aLink({ subjectId, scheme: 'b', created: minutes(-10) });
    const newer = aLink({ subjectId, scheme: 'a', created: minutes(-1) });
    await store.create(newer);
    await store.create(older);
    await store.create(aLink());
    expect((await store.findBySubjectId(subjectId)).map((l) => l.scheme)).toEqual(['b', 'a']);
    expect(await store.findBySubjectId('nobody')).toEqual([]);
  });
});
