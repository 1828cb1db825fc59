import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsentInteractionService } from '../authorize/consent-interaction.service';
import { LoginContextDescriber } from '../protocol/login-context';
import { SessionService } from '../sessions/session.service';
import { ExternalProviderStore } from '../stores/external-provider.store';
import { UserStore } from '../stores/user.store';
import type { User } from '../stores/models';
import { AntiforgeryService } from './antiforgery.service';
import { toFormFields } from './form-body';
import { sendHtml } from './html-response';
import { isLocalUrl, toLocationHeader } from './local-url';
import { PageLanguage } from './page-language';
import { Ui, type ExternalProviderButtonModel } from './ui';
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
    private readonly loginContexts: LoginContextDescriber,
    private readonly language: PageLanguage,
    private readonly externalProviders: ExternalProviderStore,
    private readonly throttling: LoginThrottlingService,
  ) {}

  @Get()
  async show(@Query('returnUrl') returnUrl: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const local = typeof returnUrl === 'string' && isLocalUrl(returnUrl) ? returnUrl : '';
    await this.render(request, reply, { returnUrl: local }, { useLoginHint: true });
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
        reply.header('cache-control', 'no-store').redirect(toLocationHeader(next), 302);
        return;
      }
      const t = this.language.translate(request);
      sendHtml(reply, this.ui.messagePage({ language: this.language.of(request), title: t('login.cancelledTitle'), message: t('login.cancelledMessage') }));
      return;
    }
    const username = fields.username ?? '';
    const user = username && fields.password ? await this.checkPassword(request, username, fields.password) : undefined;
    if (!user) {
      // The page keeps its context ("to continue to <client>") and marks both fields. A locked-out
      // attempt gets the same page and message (docs/settings.md, LOGIN_MAX_FAILURES).
      await this.render(request, reply, { returnUrl, username, error: this.language.translate(request)('login.invalidCredentials') }, {}, 400);
      return;
    }
    const name = user.claims.name;
    await this.sessions.signIn(request, reply, {
      subjectId: user.subjectId,
      displayName: typeof name === 'string' ? name : user.username,
      amr: ['pwd'],
    });
    if (returnUrl) {
      reply.header('cache-control', 'no-store').redirect(toLocationHeader(returnUrl), 302);
      return;
    }
    const t = this.language.translate(request);
    sendHtml(reply, this.ui.messagePage({
      language: this.language.of(request), title: t('login.signedInTitle'), message: t('login.signedInMessage', { user: user.username }),
    }));
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
    model: { returnUrl: string; username?: string; error?: string },
    options: { useLoginHint?: boolean } = {},
    status = 200,
  ): Promise<void> {
    // The client behind the returnUrl (an authorization request, a device interaction, …), on the
    // first showing and after a failed attempt alike.
    const about = model.returnUrl ? await this.loginContexts.describe(model.returnUrl, request) : undefined;
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    const externalProviders = await this.externalProviderButtons(model.returnUrl);
    sendHtml(reply, this.ui.loginPage({
      action: PAGE_PATHS.login,
      antiforgeryToken,
      language: this.language.of(request),
      ...model,
      externalProviders,
      ...(options.useLoginHint && about?.loginHint !== undefined && { username: about.loginHint }),
      ...(about !== undefined && { clientName: about.clientName }),
      ...(about?.clientLogoUri !== undefined && { clientLogoUri: about.clientLogoUri }),
    }), status);
  }

  /** One button per enabled external provider, in configuration order; each keeps the returnUrl. */
  private async externalProviderButtons(returnUrl: string): Promise<ExternalProviderButtonModel[]> {
    return (await this.externalProviders.getAll()).filter((p) => p.enabled).map((p) => ({
      scheme: p.scheme,
      displayName: p.displayName,
      url: `${PAGE_PATHS.externalChallenge}?${new URLSearchParams({ scheme: p.scheme, ...(returnUrl && { returnUrl }) }).toString()}`,
    }));
  }
}
