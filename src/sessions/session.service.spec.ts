import type { FastifyReply, FastifyRequest } from 'fastify';
import { FakeClock, FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import { ServerSideSessionStore } from '../stores/server-side-session.store';
import type { ServerSideSession } from '../stores/models';
import { SESSION_COOKIE_NAME } from './session-cookie';
import { SESSION_LIFETIME_MS, SessionService } from './session.service';

class InMemorySessionStore extends ServerSideSessionStore {
  readonly rows = new Map<string, ServerSideSession>();
  async create(session: ServerSideSession): Promise<void> { this.rows.set(session.key, session); }
  async get(key: string): Promise<ServerSideSession | undefined> { return this.rows.get(key); }
  async update(session: ServerSideSession): Promise<void> { this.rows.set(session.key, session); }
  async delete(key: string): Promise<void> { this.rows.delete(key); }
  async deleteBySubjectOrSession(filter: { subjectId?: string; sessionId?: string }): Promise<void> {
    for (const [key, row] of this.rows) if (row.subjectId === filter.subjectId || row.sessionId === filter.sessionId) this.rows.delete(key);
  }
  async removeExpired(): Promise<number> { return 0; }
}

/** A browser's view of cookies, with the options of the last Set-Cookie per name. */
class FakeBrowser {
  readonly cookies: Record<string, string> = {};
  readonly options: Record<string, Record<string, unknown>> = {};

  request(scheme: 'http' | 'https' = 'http'): FastifyRequest {
    return {
      cookies: { ...this.cookies },
      requestOrigin: { clientIp: '127.0.0.1', scheme, host: 'id.example', issuer: `${scheme}://id.example` },
    } as unknown as FastifyRequest;
  }

  reply(): FastifyReply {
    const reply = {
      setCookie: (name: string, value: string, options: Record<string, unknown>) => {
        this.cookies[name] = value;
        this.options[name] = options;
        return reply;
      },
      clearCookie: (name: string) => {
        delete this.cookies[name];
        return reply;
      },
    };
    return reply as unknown as FastifyReply;
  }
}

function setup() {
  const clock = new FakeClock(new Date('2030-01-01T00:00:00Z'));
  const store = new InMemorySessionStore();
  const dataProtection = new FakeDataProtectionProvider();
  return { clock, store, dataProtection, service: new SessionService(dataProtection, store, clock), browser: new FakeBrowser() };
}

describe('SessionService', () => {
  it('signIn, should set an HttpOnly SameSite=Lax cookie and store a protected server-side session', async () => {
    const { service, store, browser } = setup();
    const session = await service.signIn(browser.request(), browser.reply(), { subjectId: '1', displayName: 'Alice', amr: ['pwd'] });
    expect(browser.options[SESSION_COOKIE_NAME]).toMatchObject({ httpOnly: true, sameSite: 'lax', secure: false, path: '/' });
    const [row] = [...store.rows.values()];
    expect(row).toMatchObject({ subjectId: '1', sessionId: session.sessionId, key: session.key });
    expect(row.data).not.toContain('Alice');
    expect(browser.cookies[SESSION_COOKIE_NAME]).not.toContain(row.key);
  });

  it('signIn on https, should mark the cookie Secure', async () => {
    const { service, browser } = setup();
    await service.signIn(browser.request('https'), browser.reply(), { subjectId: '1' });
    expect(browser.options[SESSION_COOKIE_NAME]).toMatchObject({ secure: true });
  });

  it('getCurrent, should return the session of the cookie with its sid, auth time and amr', async () => {
    const { service, clock, browser } = setup();
    const created = await service.signIn(browser.request(), browser.reply(), { subjectId: '1', amr: ['pwd'] });
    const current = await service.getCurrent(browser.request());
    expect(current).toMatchObject({ subjectId: '1', sessionId: created.sessionId, amr: ['pwd'], authTime: clock.now() });
  });

  it('getCurrent, when the cookie was tampered with or made by another key ring, should return undefined', async () => {
    const { service, store, clock, browser } = setup();
    await service.signIn(browser.request(), browser.reply(), { subjectId: '1' });
    const other = new SessionService(new FakeDataProtectionProvider(), store, clock);
    expect(await other.getCurrent(browser.request())).toBeUndefined();
    browser.cookies[SESSION_COOKIE_NAME] = `${browser.cookies[SESSION_COOKIE_NAME]}x`;
    expect(await service.getCurrent(browser.request())).toBeUndefined();
  });

  it('getCurrent, when the server-side session expired or was ended, should return undefined', async () => {
    const { service, clock, browser } = setup();
    const session = await service.signIn(browser.request(), browser.reply(), { subjectId: '1' });
    clock.advance(SESSION_LIFETIME_MS + 1);
    expect(await service.getCurrent(browser.request())).toBeUndefined();
    clock.advance(-SESSION_LIFETIME_MS);
    await service.endSessions({ sessionId: session.sessionId });
    expect(await service.getCurrent(browser.request())).toBeUndefined();
  });

  it('signIn, when a session exists, should replace it with a new sid (no session fixation)', async () => {
    const { service, store, browser } = setup();
    const first = await service.signIn(browser.request(), browser.reply(), { subjectId: '1' });
    const second = await service.signIn(browser.request(), browser.reply(), { subjectId: '2' });
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(store.rows.has(first.key)).toBe(false);
  });

  it('addClient and signOut, should record the clients and return them when the session ends', async () => {
    const { service, store, browser } = setup();
    const session = await service.signIn(browser.request(), browser.reply(), { subjectId: '1' });
    await service.addClient(session, 'web');
    const updated = await service.addClient(session, 'spa');
    expect(updated.clientIds).toEqual(['web', 'spa']);
    expect((await service.getCurrent(browser.request()))?.clientIds).toEqual(['web', 'spa']);

    const ended = await service.signOut(browser.request(), browser.reply());
    expect(ended?.clientIds).toEqual(['web', 'spa']);
    expect(store.rows.size).toBe(0);
    expect(browser.cookies[SESSION_COOKIE_NAME]).toBeUndefined();
    expect(await service.signOut(browser.request(), browser.reply())).toBeUndefined();
  });
});
