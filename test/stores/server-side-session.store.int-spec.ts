import { randomUUID } from 'node:crypto';
import type { ServerSideSession } from '../../src/stores/models';
import type { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { DropSessionDisplayName1795420000801 } from '../../migrations/1795420000801-drop-session-display-name';
import { FakeClock } from '../support/fakes/fake-clock';
import { describeEachOperationalStore, type OpenedOperationalStores } from '../support/store-databases';

const NOW = new Date('2026-03-01T12:00:00.789Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

function aSession(overrides: Partial<ServerSideSession> = {}): ServerSideSession {
  return {
    key: `key-${randomUUID()}`,
    scheme: 'idsrv',
    subjectId: 'alice',
    sessionId: `sid-${randomUUID()}`,
    created: minutes(-10),
    renewed: minutes(-1),
    expires: minutes(60),
    data: 'protected-ticket',
    ...overrides,
  };
}

describeEachOperationalStore('ServerSideSessionStore', (backend) => {
  let opened: OpenedOperationalStores;
  let store: ServerSideSessionStore;
  // Redis deletes expired sessions itself (redis-operational-store.int-spec.ts pins the expiry).
  const databaseOnly = backend.name === 'Redis' ? it.skip : it;

  beforeAll(async () => {
    opened = await backend.open(new FakeClock(NOW));
    store = opened.sessions;
  });
  afterAll(async () => {
    await opened?.close();
  });
  beforeEach(async () => {
    await opened.clear();
  });

  it('get, when the session was created, should return it unchanged', async () => {
    const session = aSession();
    await store.create(session);
    expect(await store.get(session.key)).toEqual(session);
  });

  it('get, when optional fields were absent, should return them absent', async () => {
    const session = aSession({ expires: undefined });
    await store.create(session);
    const loaded = await store.get(session.key);
    expect(loaded).toEqual(session);
    expect(loaded).not.toHaveProperty('expires');
  });

  it('get, when the key is unknown, should return undefined', async () => {
    expect(await store.get('unknown')).toBeUndefined();
  });

  it('create, when the key exists, should fail', async () => {
    const session = aSession();
    await store.create(session);
    await expect(store.create({ ...session, subjectId: 'mallory' })).rejects.toThrow();
    expect(await store.get(session.key)).toEqual(session);
  });

  it('update, when the session is renewed, should store the new values', async () => {
    const session = aSession();
    await store.create(session);
    const renewed = { ...session, renewed: NOW, expires: minutes(120), data: 'new-ticket' };
    await store.update(renewed);
    expect(await store.get(session.key)).toEqual(renewed);
  });

  it('update, when the session was deleted meanwhile, should not bring it back', async () => {
    const session = aSession();
    await store.update(session);
    expect(await store.get(session.key)).toBeUndefined();
  });

  it('delete, when given a key, should delete that session only', async () => {
    const [a, b] = [aSession(), aSession()];
    await store.create(a);
    await store.create(b);
    await store.delete(a.key);
    expect(await store.get(a.key)).toBeUndefined();
    expect(await store.get(b.key)).toEqual(b);
  });

  describe('by subject or session', () => {
    let alice1: ServerSideSession;
    let alice2: ServerSideSession;
    let bob: ServerSideSession;

    beforeEach(async () => {
      alice1 = aSession({ subjectId: 'alice', sessionId: 'sid-a1' });
      alice2 = aSession({ subjectId: 'alice', sessionId: 'sid-a2' });
      bob = aSession({ subjectId: 'bob', sessionId: 'sid-b' });
      for (const s of [alice1, alice2, bob]) await store.create(s);
    });

    it('deleteBySubjectOrSession, when given a subject, should end all its sessions and no others', async () => {
      await store.deleteBySubjectOrSession({ subjectId: 'alice' });
      expect(await store.get(alice1.key)).toBeUndefined();
      expect(await store.get(alice2.key)).toBeUndefined();
      expect(await store.get(bob.key)).toEqual(bob);
    });

    it('deleteBySubjectOrSession, when given a session id, should end that session only', async () => {
      await store.deleteBySubjectOrSession({ sessionId: 'sid-a1' });
      expect(await store.get(alice1.key)).toBeUndefined();
      expect(await store.get(alice2.key)).toEqual(alice2);
      expect(await store.get(bob.key)).toEqual(bob);
    });

    it('deleteBySubjectOrSession, when given both, should end only a session matching both', async () => {
      await store.deleteBySubjectOrSession({ subjectId: 'bob', sessionId: 'sid-a2' });
      expect(await opened.count('sessions')).toBe(3);
      await store.deleteBySubjectOrSession({ subjectId: 'alice', sessionId: 'sid-a2' });
      expect(await store.get(alice2.key)).toBeUndefined();
      expect(await store.get(alice1.key)).toEqual(alice1);
    });

    it('deleteBySubjectOrSession, when given neither, should refuse and delete nothing', async () => {
      await expect(store.deleteBySubjectOrSession({})).rejects.toThrow(/subjectId or sessionId/);
      expect(await opened.count('sessions')).toBe(3);
    });
  });

  databaseOnly('removeExpired, when more sessions expired than the batch size, should remove one batch per call and keep live ones', async () => {
    const expired = Array.from({ length: 5 }, (_, i) => aSession({ expires: minutes(-1 - i) }));
    const live = [aSession({ expires: minutes(1) }), aSession({ expires: undefined }), aSession({ expires: NOW })];
    for (const s of [...expired, ...live]) await store.create(s);

    expect(await store.removeExpired(NOW, 2)).toBe(2);
    expect(await store.removeExpired(NOW, 2)).toBe(2);
    expect(await store.removeExpired(NOW, 2)).toBe(1);
    expect(await store.removeExpired(NOW, 2)).toBe(0);
    for (const s of expired) expect(await store.get(s.key)).toBeUndefined();
    for (const s of live) expect(await store.get(s.key)).toEqual(s);
  });

  databaseOnly('removeExpired, when several cleanups run at once, should remove each expired session once', async () => {
    const expired = Array.from({ length: 6 }, (_, i) => aSession({ expires: minutes(-1 - i) }));
    for (const s of expired) await store.create(s);
    expect(await Promise.all([store.removeExpired(NOW, 3), store.removeExpired(NOW, 3)])).toEqual([3, 3]);
    expect(await opened.count('sessions')).toBe(0);
  });

  databaseOnly('migration 1795420000801, should drop the clear display name and keep every session readable, and back down', async () => {
    const dataSource = opened.dataSource!;
    const migration = new DropSessionDisplayName1795420000801();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      // A session of an earlier version: the name in clear beside the ticket.
      const legacy = aSession({ key: 'legacy-key', subjectId: '1', sessionId: 'SID1' });
      await store.create(legacy);
      await runner.query(`UPDATE server_side_sessions SET display_name = 'Alice Smith' WHERE key = ${dataSource.options.type === 'postgres' ? '$1' : '?'}`, ['legacy-key']);
      expect(JSON.stringify(await runner.query('SELECT * FROM server_side_sessions'))).toContain('Alice Smith');
      await migration.up(runner);
      expect(await store.get('legacy-key')).toEqual(legacy);
      const rows: unknown[] = await runner.query('SELECT * FROM server_side_sessions');
      expect(JSON.stringify(rows)).not.toContain('Alice Smith');
      expect(await runner.hasColumn('server_side_sessions', 'display_name')).toBe(false);
    } finally {
      await runner.release();
    }
  });
});
