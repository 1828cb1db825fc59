import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getRequestOrigin } from '../hosting/request-origin';
import { PAGE_PATHS } from '../protocol/paths';
import { ErrorPageError } from '../protocol/protocol-errors';
import { SessionService } from '../sessions/session.service';
import { ANTIFORGERY_COOKIE_NAME, AntiforgeryService } from '../ui/antiforgery.service';
import { buildConsentPageModel } from '../ui/consent-page-model';
import { toFormFields } from '../ui/form-body';
import { sendHtml } from '../ui/html-response';
import { PageLanguage } from '../ui/page-language';
import { Ui } from '../ui/ui';
import { DeviceInteractionService, type DeviceBrowser, type DeviceInteractionStep } from './device-interaction.service';

/** What the code page echoes back of a typed or linked code, at most. */
const MAX_ECHOED_USER_CODE = 20;

/**
 * `GET|POST /device` (RFC 8628 §3.3, docs/endpoints.md): the user types the code, signs in if needed,
 * confirms on a page showing the client, the scopes and the code (RFC 8628 §5.4), and the
 * device's next poll gets the tokens (or access_denied).
 * A code from verification_uri_complete is only prefilled — the user still confirms it with the
 * form (RFC 8628 §5.4: a link alone must not authorize a device). DeviceInteractionService
 * decides each step; this controller reads the request and renders the step.
 */
@Controller('device')
export class DeviceController {
  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly sessions: SessionService,
    private readonly interactions: DeviceInteractionService,
    private readonly language: PageLanguage,
  ) {}

  @Get()
  async show(
    @Query('userCode') userCode: unknown,
    @Query('request') interaction: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const step: DeviceInteractionStep = typeof interaction === 'string'
      ? await this.interactions.resume(interaction, this.browserOf(request))
      : { kind: 'enter-code', userCode: typeof userCode === 'string' ? userCode : undefined, status: 200 };
    await this.render(step, request, reply);
  }

  @Post()
  async submit(@Query('request') interaction: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    if (typeof interaction !== 'string') {
      await this.render(await this.interactions.enterCode(fields.userCode, this.browserOf(request)), request, reply);
      return;
    }
    if (fields.decision !== 'allow' && fields.decision !== 'deny') throw new ErrorPageError('invalid_request', 'Please choose to allow or deny.');
    const step = await this.interactions.decide(interaction, this.browserOf(request), {
      allow: fields.decision === 'allow',
      remember: fields.rememberConsent === 'true',
    });
    await this.render(step, request, reply);
  }

  private browserOf(request: FastifyRequest): DeviceBrowser {
    return {
      antiforgeryCookie: request.cookies?.[ANTIFORGERY_COOKIE_NAME],
      clientIp: getRequestOrigin(request).clientIp,
      session: () => this.sessions.getCurrent(request),
    };
  }

  private async render(step: DeviceInteractionStep, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const language = this.language.of(request);
    const t = this.language.translate(request);
    switch (step.kind) {
      case 'enter-code': {
        const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
        const userCode = step.userCode?.slice(0, MAX_ECHOED_USER_CODE);
        const error = step.error === undefined ? {} : { error: t(step.error === 'invalid' ? 'device.invalidCode' : 'device.tooManyAttempts') };
        sendHtml(reply, this.ui.userCodePage({ language, action: PAGE_PATHS.device, antiforgeryToken, userCode, ...error }), step.status);
        return;
      }
      case 'login':
        reply.header('cache-control', 'no-store').redirect(`${PAGE_PATHS.login}?${new URLSearchParams({ returnUrl: step.returnUrl })}`, 302);
        return;
      case 'confirm': {
        const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
        const scopes = buildConsentPageModel({ action: step.returnUrl, antiforgeryToken, returnUrl: step.returnUrl }, step.request);
        sendHtml(reply, this.ui.deviceConfirmationPage({
          language,
          action: step.returnUrl,
          antiforgeryToken,
          clientName: scopes.clientName,
          ...(scopes.clientLogoUri !== undefined && { clientLogoUri: scopes.clientLogoUri }),
          userCode: step.userCode,
          userDisplayName: step.userDisplayName,
          identityScopes: scopes.identityScopes,
          apiScopes: scopes.apiScopes,
          allowRemember: step.allowRemember,
        }));
        return;
      }
      case 'done': {
        const connected = step.outcome === 'connected';
        sendHtml(reply, this.ui.messagePage({
          language,
          title: t(connected ? 'device.connectedTitle' : 'device.deniedTitle'),
          message: t(connected ? 'device.connectedMessage' : 'device.deniedMessage', { client: step.clientName }),
        }));
        return;
      }
    }
  }
}
