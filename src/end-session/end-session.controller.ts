import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { ErrorPageError } from '../protocol/protocol-errors';
import { SessionService } from '../sessions/session.service';
import { sendHtml } from '../ui/html-response';
import { PageLanguage } from '../ui/page-language';
import { Ui } from '../ui/ui';
import { EndSessionRequestValidator, type EndSessionParameters } from './end-session-request.validator';
import { EndSessionService, postLogoutRedirectUrl } from './end-session.service';
import { PAGE_PATHS } from '../protocol/paths';


/**
 * `GET|POST /connect/endsession` (OIDC RP-Initiated Logout 1.0): with a valid id_token_hint the
 * user is signed out at once (back-channel logout sent) and sent to the registered
 * post_logout_redirect_uri with `state`; otherwise the logout page asks first, since any site
 * could send the browser here (docs/endpoints.md).
 */
@Controller('connect')
export class EndSessionController {
  constructor(
    private readonly validator: EndSessionRequestValidator,
    private readonly endSession: EndSessionService,
    private readonly sessions: SessionService,
    @Inject(Ui) private readonly ui: Ui,
    private readonly language: PageLanguage,
  ) {}

  @Get('endsession')
  async get(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    await this.handle(readEndSessionParameters(request.query), request, reply, origin);
  }

  @Post('endsession')
  async post(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    await this.handle(readEndSessionParameters(request.body), request, reply, origin);
  }

  private async handle(params: EndSessionParameters, request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<void> {
    reply.header('cache-control', 'no-store');
    const validation = await this.validator.validate(params, origin.issuer);
    if (validation.kind === 'error') throw new ErrorPageError('invalid_request', validation.description);

    const session = await this.sessions.getCurrent(request);
    // A hint for another user than the one signed in proves nothing about this session: ask.
    // Without a valid hint the request always goes through /account/logout (docs/endpoints.md), even when
    // nobody is signed in: that page then shows the signed-out page, never an unasked redirect.
    const hintMatches = validation.hint !== undefined && (!session || session.subjectId === validation.hint.subjectId);
    if (hintMatches) {
      const ended = await this.endSession.signOut(request, reply, origin.issuer);
      const external = await this.endSession.externalSignOutUrl(ended, origin.issuer, {
        clientId: validation.client?.clientId,
        clientName: validation.client ? validation.client.clientName ?? validation.client.clientId : undefined,
        postLogoutRedirectUri: validation.postLogoutRedirectUri,
        state: validation.state,
      });
      if (external) {
        reply.redirect(external, 302);
        return;
      }
      if (validation.postLogoutRedirectUri !== undefined) {
        reply.redirect(postLogoutRedirectUrl(validation.postLogoutRedirectUri, validation.state), 302);
        return;
      }
      sendHtml(reply, this.ui.loggedOutPage({ language: this.language.of(request) }));
      return;
    }

    const logoutId = await this.endSession.createLogoutId({
      clientId: validation.client?.clientId,
      clientName: validation.client ? validation.client.clientName ?? validation.client.clientId : undefined,
      postLogoutRedirectUri: validation.postLogoutRedirectUri,
      state: validation.state,
    });
    reply.redirect(`${PAGE_PATHS.logout}?logoutId=${encodeURIComponent(logoutId)}`, 302);
  }
}

/** Query or form → the parameters; a repeated parameter is ambiguous and refused (RFC 6749 §3.1). */
export function readEndSessionParameters(source: unknown): EndSessionParameters {
  if (source === undefined || source === null) return {};
  if (typeof source !== 'object') throw new ErrorPageError('invalid_request', 'the request is malformed');
  const values = source as Record<string, unknown>;
  const read = (name: keyof EndSessionParameters): string | undefined => {
    const value = values[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') throw new ErrorPageError('invalid_request', `${name} must appear once`);
    return value;
  };
  return {
    id_token_hint: read('id_token_hint'),
    post_logout_redirect_uri: read('post_logout_redirect_uri'),
    state: read('state'),
    client_id: read('client_id'),
  };
}
