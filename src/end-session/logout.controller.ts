import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { ErrorPageError } from '../protocol/protocol-errors';
import { SessionService } from '../sessions/session.service';
import { AntiforgeryService } from '../ui/antiforgery.service';
import { toFormFields } from '../ui/form-body';
import { sendHtml } from '../ui/html-response';
import { PageLanguage } from '../ui/page-language';
import { Ui } from '../ui/ui';
import { EndSessionService, postLogoutRedirectUrl, type LogoutContext } from './end-session.service';
import { PAGE_PATHS } from '../protocol/paths';

/**
 * The logout page (`GET|POST /account/logout`, docs/endpoints.md): asks before signing out — a logout
 * request without a valid id_token_hint may come from any site — with the button
 * `decision=logout`, then signs out (back-channel logout included) and shows the signed-out
 * page, linking back to the client's validated post_logout_redirect_uri when there is one.
 */
@Controller('account/logout')
export class LogoutController {
  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly sessions: SessionService,
    private readonly endSession: EndSessionService,
    private readonly language: PageLanguage,
  ) {}

  @Get()
  async show(
    @Query('logoutId') logoutId: unknown, @Query('state') state: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply,
  ): Promise<void> {
    // `state`: an external provider's logout sends the browser back here with our logoutId as its state.
    const id = typeof logoutId === 'string' ? logoutId : typeof state === 'string' ? state : undefined;
    const session = await this.sessions.getCurrent(request);
    if (!session) {
      // Nobody to sign out: say so, and offer the way back to the client.
      this.renderSignedOut(request, reply, await this.endSession.readLogoutId(id));
      return;
    }
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.logoutPage({ language: this.language.of(request), action: PAGE_PATHS.logout, antiforgeryToken, logoutId: id, userDisplayName: session.displayName }));
  }

  @Post()
  async submit(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    if (fields.decision !== 'logout') throw new ErrorPageError('invalid_request', 'Please use the sign-out button.');
    const context = await this.endSession.readLogoutId(fields.logoutId);
    const ended = await this.endSession.signOut(request, reply, origin.issuer);
    const external = await this.endSession.externalSignOutUrl(ended, origin.issuer, context);
    if (external) {
      reply.header('cache-control', 'no-store').redirect(external, 302);
      return;
    }
    this.renderSignedOut(request, reply, context);
  }

  private renderSignedOut(request: FastifyRequest, reply: FastifyReply, context: LogoutContext): void {
    sendHtml(reply, this.ui.loggedOutPage({
      language: this.language.of(request),
      postLogoutRedirectUri: context.postLogoutRedirectUri === undefined
        ? undefined
        : postLogoutRedirectUrl(context.postLogoutRedirectUri, context.state),
      clientName: context.clientName,
    }));
  }
}
