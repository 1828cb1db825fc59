import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsentInteractionService, type ConsentRequestDescription } from '../authorize/consent-interaction.service';
import { ErrorPageError } from '../protocol/protocol-errors';
import { SessionService } from '../sessions/session.service';
import type { UserSession } from '../sessions/user-session';
import { AntiforgeryService } from './antiforgery.service';
import { buildConsentPageModel } from './consent-page-model';
import { toFormFields } from './form-body';
import { sendHtml } from './html-response';
import { isLocalUrl, toLocationHeader } from './local-url';
import { PageLanguage } from './page-language';
import { Ui } from './ui';
import { PAGE_PATHS } from '../protocol/paths';

/**
 * The default consent page (`GET|POST /consent`, docs/endpoints.md): shows what the client asks for; the
 * button `decision=allow|deny` answers, optionally remembered per subject and client.
 */
@Controller('consent')
export class ConsentController {
  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly sessions: SessionService,
    private readonly interactions: ConsentInteractionService,
    private readonly language: PageLanguage,
  ) {}

  @Get()
  async show(@Query('returnUrl') returnUrl: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const local = typeof returnUrl === 'string' && isLocalUrl(returnUrl) ? returnUrl : undefined;
    const description = local && (await this.interactions.describe(local));
    if (!local || !description) throw invalidConsentRequest();
    const session = await this.sessions.getCurrent(request);
    if (!session) {
      reply.redirect(`${PAGE_PATHS.login}?${new URLSearchParams({ returnUrl: `${PAGE_PATHS.consent}?${new URLSearchParams({ returnUrl: local })}` })}`, 302);
      return;
    }
    await this.render(request, reply, local, description, session);
  }

  @Post()
  async submit(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    const returnUrl = isLocalUrl(fields.returnUrl) ? fields.returnUrl : undefined;
    if (!returnUrl) throw invalidConsentRequest();
    if (fields.decision !== 'allow' && fields.decision !== 'deny') throw new ErrorPageError('invalid_request', 'Please choose to allow or deny.');
    const session = await this.sessions.getCurrent(request);
    if (!session) throw new ErrorPageError('login_required', 'Your session has ended. Please return to the application and sign in again.');
    const next = await this.interactions.decide(returnUrl, session, {
      allow: fields.decision === 'allow',
      remember: fields.rememberConsent === 'true',
    });
    if (!next) throw invalidConsentRequest();
    reply.header('cache-control', 'no-store').redirect(toLocationHeader(next), 302);
  }

  private async render(
    request: FastifyRequest,
    reply: FastifyReply,
    returnUrl: string,
    description: ConsentRequestDescription,
    session: UserSession,
  ): Promise<void> {
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.consentPage(buildConsentPageModel(
      { action: PAGE_PATHS.consent, antiforgeryToken, returnUrl, userDisplayName: session.displayName, language: this.language.of(request) },
      description,
    )));
  }
}

function invalidConsentRequest(): ErrorPageError {
  return new ErrorPageError('invalid_request', 'This consent request is invalid or has expired. Please return to the application and try again.');
}
