import '@fastify/cookie';
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { getRequestOrigin } from '../hosting/request-origin';
import { ServerSideSessionStore } from '../stores/server-side-session.store';
import type { ServerSideSession } from '../stores/models';
import { SESSION_COOKIE_NAME, sessionCookieOptions } from './session-cookie';
import { isSessionTicket, LOCAL_IDENTITY_PROVIDER, type SessionTicket, type SignInUser, type UserSession } from './user-session';

/** How long a session lives without activity; every sign-in or client addition renews it. */
export const SESSION_LIFETIME_MS = 10 * 60 * 60 * 1000;
const SCHEME = 'idsrv';

const currentSessions = new WeakMap<FastifyRequest, Promise<UserSession | undefined>>();

/**
 * The authentication session: a data-protected cookie holding a random handle, and a
 * server-side session (keyed by the handle's hash, ticket data-protected) so sessions survive
 * restarts, work across instances and can be ended server-side.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly cookieProtector: DataProtector;
  private readonly ticketProtector: DataProtector;

  constructor(
    dataProtection: DataProtectionProvider,
    private readonly store: ServerSideSessionStore,
    private readonly clock: Clock,
  ) {
    this.cookieProtector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.sessionCookie);
    this.ticketProtector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.sessionTicket);
  }

  /** The valid session of this request, or undefined (no cookie, unreadable, ended or expired). */
  getCurrent(request: FastifyRequest): Promise<UserSession | undefined> {
    let pending = currentSessions.get(request);
    if (!pending) {
      pending = this.load(request.cookies?.[SESSION_COOKIE_NAME]);
      currentSessions.set(request, pending);
    }
    return pending;
  }

  /**
   * Starts a new session for the user (a fresh handle and sid every time, so a session id planted
   * before login is never adopted) and ends the request's previous session, if any.
   */
  async signIn(request: FastifyRequest, reply: FastifyReply, user: SignInUser): Promise<UserSession> {
    const previous = await this.getCurrent(request);
    if (previous) await this.store.delete(previous.key);

    const now = this.clock.now();
    const handle = randomBytes(32).toString('base64url');
    const ticket: SessionTicket = {
      v: 1,
      sid: randomBytes(16).toString('hex').toUpperCase(),
      sub: user.subjectId,
      name: user.displayName,
      authTime: now.getTime(),
      amr: user.amr ?? ['pwd'],
      clients: [],
      ...(user.idp !== undefined && user.idp !== LOCAL_IDENTITY_PROVIDER && { idp: user.idp }),
      ...(user.externalIdToken !== undefined && { externalIdToken: user.externalIdToken }),
    };
    const record: ServerSideSession = {
      key: hashHandle(handle),
      scheme: SCHEME,
      subjectId: ticket.sub,
      sessionId: ticket.sid,
      created: now,
      renewed: now,
      expires: new Date(now.getTime() + SESSION_LIFETIME_MS),
      data: await this.ticketProtector.protect(JSON.stringify(ticket)),
    };
    await this.store.create(record);
    reply.setCookie(SESSION_COOKIE_NAME, await this.cookieProtector.protect(handle), sessionCookieOptions(getRequestOrigin(request)));
    const session = toUserSession(record, ticket);
    currentSessions.set(request, Promise.resolve(session));
    return session;
  }

  /** Records that a client took part in the session (needed for end session and back-channel logout). */
  async addClient(session: UserSession, clientId: string): Promise<UserSession> {
    const now = this.clock.now();
    const stored = await this.store.get(session.key);
    const ticket = stored && (await this.readTicket(stored));
    if (!stored || !ticket) return session;
    const clients = ticket.clients.includes(clientId) ? ticket.clients : [...ticket.clients, clientId];
    const updatedTicket: SessionTicket = { ...ticket, clients };
    const updated: ServerSideSession = {
      ...stored,
      renewed: now,
      expires: new Date(now.getTime() + SESSION_LIFETIME_MS),
      data: await this.ticketProtector.protect(JSON.stringify(updatedTicket)),
    };
    await this.store.update(updated);
    return toUserSession(updated, updatedTicket);
  }

  /**
   * Ends the request's session: deletes the server-side session and clears the cookie. Returns
   * the ended session (with the clients that took part) or undefined when there was none.
   */
  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<UserSession | undefined> {
    const session = await this.getCurrent(request);
    if (session) await this.store.delete(session.key);
    if (request.cookies?.[SESSION_COOKIE_NAME] !== undefined) {
      reply.clearCookie(SESSION_COOKIE_NAME, sessionCookieOptions(getRequestOrigin(request)));
    }
    currentSessions.set(request, Promise.resolve(undefined));
    return session;
  }

  /** Ends every session matching the filter server-side (e.g. all sessions of one sid). */
  async endSessions(filter: { subjectId?: string; sessionId?: string }): Promise<void> {
    await this.store.deleteBySubjectOrSession(filter);
  }

  private async load(cookie: string | undefined): Promise<UserSession | undefined> {
    if (!cookie) return undefined;
    let handle: string;
    try {
      handle = await this.cookieProtector.unprotect(cookie);
    } catch (error) {
      if (!(error instanceof UnprotectError)) throw error;
      // A stale or foreign cookie is not an error for the user: they are simply not signed in.
      this.logger.warn(`Ignoring an authentication cookie that cannot be unprotected (${error.reason}${error.keyId ? `, key ${error.keyId}` : ''})`);
      return undefined;
    }
    const stored = await this.store.get(hashHandle(handle));
    if (!stored) return undefined;
    if (stored.expires && stored.expires.getTime() <= this.clock.now().getTime()) return undefined;
    const ticket = await this.readTicket(stored);
    return ticket && toUserSession(stored, ticket);
  }

  private async readTicket(stored: ServerSideSession): Promise<SessionTicket | undefined> {
    try {
      const parsed: unknown = JSON.parse(await this.ticketProtector.unprotect(stored.data));
      if (isSessionTicket(parsed)) return parsed;
      this.logger.error(`Server-side session ${stored.sessionId} holds a ticket of an unknown shape`);
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.error(`Server-side session ${stored.sessionId} cannot be read: ${error.message}`);
    }
    return undefined;
  }
}

function hashHandle(handle: string): string {
  return createHash('sha256').update(handle).digest('base64url');
}

function toUserSession(stored: ServerSideSession, ticket: SessionTicket): UserSession {
  return {
    key: stored.key,
    sessionId: ticket.sid,
    subjectId: ticket.sub,
    displayName: ticket.name,
    authTime: new Date(ticket.authTime),
    amr: ticket.amr,
    clientIds: ticket.clients,
    created: stored.created,
    expires: stored.expires ?? new Date(stored.created.getTime() + SESSION_LIFETIME_MS),
    ...(ticket.idp !== undefined && { idp: ticket.idp }),
    ...(ticket.externalIdToken !== undefined && { externalIdToken: ticket.externalIdToken }),
  };
}
