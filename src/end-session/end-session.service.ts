import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { SessionService } from '../sessions/session.service';
import type { UserSession } from '../sessions/user-session';
import { BackChannelLogoutService } from './back-channel-logout.service';
import { ExternalSignOutService } from '../federation/external-sign-out.service';

/** What the logout page needs to finish an end-session request: travels data-protected as `logoutId`. */
export interface LogoutContext {
  readonly clientId?: string;
  readonly clientName?: string;
  /** already validated against the client's registered URIs */
  readonly postLogoutRedirectUri?: string;
  readonly state?: string;
}

/** A logout page left open longer than this must start again. */
const LOGOUT_ID_LIFETIME_MS = 15 * 60 * 1000;

/**
 * Ending the user's session, shared by /connect/endsession and the /account/logout page: clear
 * the cookie and the server-side session, then tell every client of the session through
 * back-channel logout — in the background, so a slow relying party never delays the user.
 */
@Injectable()
export class EndSessionService {
  private readonly logger = new Logger(EndSessionService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly sessions: SessionService,
    private readonly backChannel: BackChannelLogoutService,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
    private readonly externalSignOut: ExternalSignOutService,
  ) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.endSessionContext);
  }

  /** Signs the user out; returns the ended session (undefined when nobody was signed in). */
  async signOut(request: FastifyRequest, reply: FastifyReply, issuer: string): Promise<UserSession | undefined> {
    const session = await this.sessions.signOut(request, reply);
    if (session) {
      this.backChannel.sendInBackground({
        issuer,
        subjectId: session.subjectId,
        sessionId: session.sessionId,
        clientIds: session.clientIds,
      });
    }
    return session;
  }

  /**
   * For a session signed in through an external provider with an end_session_endpoint: the URL
   * that signs the user out there too and comes back to /account/logout with `context` (as the
   * `state` the provider echoes), which then shows the signed-out page. Undefined otherwise.
   */
  async externalSignOutUrl(session: UserSession | undefined, issuer: string, context: LogoutContext): Promise<string | undefined> {
    if (!session?.idp) return undefined;
    return this.externalSignOut.endSessionUrl(session, issuer, await this.createLogoutId(context));
  }

  async createLogoutId(context: LogoutContext): Promise<string> {
    return this.protector.protect(JSON.stringify(context), {
      expiresAt: new Date(this.clock.now().getTime() + LOGOUT_ID_LIFETIME_MS),
    });
  }

  /** The context of a logoutId; an unreadable or stale one is an empty context (the logout still happens). */
  async readLogoutId(logoutId: string | undefined): Promise<LogoutContext> {
    if (!logoutId) return {};
    try {
      const parsed: unknown = JSON.parse(await this.protector.unprotect(logoutId));
      if (!parsed || typeof parsed !== 'object') return {};
      const c = parsed as Record<string, unknown>;
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      return {
        clientId: text(c.clientId),
        clientName: text(c.clientName),
        postLogoutRedirectUri: text(c.postLogoutRedirectUri),
        state: text(c.state),
      };
    } catch (error: unknown) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.warn(`ignoring a logoutId that cannot be read: ${error.message}`);
      return {};
    }
  }
}

/** post_logout_redirect_uri with `state` appended (RP-Initiated Logout 1.0 §3). */
export function postLogoutRedirectUrl(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.toString();
}
