import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsentInteractionService } from '../authorize/consent-interaction.service';
import { SessionService } from '../sessions/session.service';
import { UserStore } from '../stores/user.store';
import type { User } from '../stores/models';
import { AntiforgeryService } from './antiforgery.service';
import { toFormFields } from './form-body';
import { sendHtml } from './html-response';
import { isLocalUrl } from './local-url';
import { Ui } from './ui';
import { PAGE_PATHS } from '../protocol/paths';
import { getRequestOrigin } from '../hosting/request-origin';
import { LoginThrottlingService } from './login-throttling.service';

/**
 * The default login page (`GET|POST /account/login`, docs/endpoints.md): username and password checked by
 * the UserStore, then a new authentication session and a redirect to the local returnUrl.
 */
@Controller('account/login')
export class LoginController {
  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly users: UserStore,
    private readonly sessions: SessionService,
    private readonly interactions: ConsentInteractionService,
    private readonly throttling: LoginThrottlingService,
  ) {}

  @Get()
  async show(@Query('returnUrl') returnUrl: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const local = typeof returnUrl === 'string' && isLocalUrl(returnUrl) ? returnUrl : '';
    const about = local ? await this.interactions.describeLogin(local) : undefined;
    await this.render(request, reply, { returnUrl: local, username: about?.loginHint, clientName: about?.clientName });
  }

  @Post()
  async submit(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    // Never an open redirect: anything but a local path is dropped (docs/endpoints.md returnUrl rule).
    const returnUrl = isLocalUrl(fields.returnUrl) ? fields.returnUrl : '';
    if (fields.button === 'cancel') {
      // Back to the client with access_denied when the login belongs to an authorization request.
      const next = returnUrl ? await this.interactions.cancelLogin(returnUrl) : undefined;
      if (next) {
        reply.header('cache-control', 'no-store').redirect(next, 302);
        return;
      }
      sendHtml(reply, this.ui.messagePage({ title: 'Sign-in cancelled', message: 'You did not sign in. You can close this window.' }));
      return;
    }
    const username = fields.username ?? '';
    const user = username && fields.password ? await this.checkPassword(request, username, fields.password) : undefined;
    if (!user) {
      // A locked-out attempt gets the same page and message (docs/settings.md, LOGIN_MAX_FAILURES).
      await this.render(request, reply, { returnUrl, username, error: 'Invalid username or password.' }, 400);
      return;
    }
    const name = user.claims.name;
    await this.sessions.signIn(request, reply, {
      subjectId: user.subjectId,
      displayName: typeof name === 'string' ? name : user.username,
      amr: ['pwd'],
    });
    if (returnUrl) {
      reply.header('cache-control', 'no-store').redirect(returnUrl, 302);
      return;
    }
    sendHtml(reply, this.ui.messagePage({ title: 'Signed in', message: `You are signed in as ${user.username}.` }));
  }

  /** The user when the password is right and the attempt within the login throttling limits. */
  private async checkPassword(request: FastifyRequest, username: string, password: string): Promise<User | undefined> {
    const attempt = await this.throttling.reserve(username, getRequestOrigin(request).clientIp);
    if (!attempt.allowed) return undefined;
    const user = await this.users.validateCredentials(username, password);
    if (user) await this.throttling.release(attempt);
    return user;
  }

  private async render(
    request: FastifyRequest,
    reply: FastifyReply,
    model: { returnUrl: string; username?: string; clientName?: string; error?: string },
    status = 200,
  ): Promise<void> {
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.loginPage({ action: PAGE_PATHS.login, antiforgeryToken, ...model }), status);
  }
}
