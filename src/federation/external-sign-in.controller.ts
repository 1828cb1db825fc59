import { Controller, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendHtml } from '../ui/html-response';
import { PageLanguage } from '../ui/page-language';
import { Ui } from '../ui/ui';
import { ExternalSignInError } from './external-sign-in-errors';
import { ExternalSignInService, type CallbackParameters } from './external-sign-in.service';

/** No parameter of these endpoints is longer (an authorization code, a state, a local returnUrl). */
const MAX_PARAMETER_LENGTH = 8192;

/**
 * `GET /account/external?scheme=S&returnUrl=U` (the challenge) and `GET|POST /signin/{scheme}`
 * (the provider's answer; POST for response_mode=form_post), docs/endpoints.md.
 */
@Controller()
export class ExternalSignInController {
  constructor(
    @Inject(Ui) private readonly ui: Ui, private readonly signIn: ExternalSignInService, private readonly language: PageLanguage,
  ) {}

  @Get('account/external')
  async challenge(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = parametersOf(request.query);
    if (!query.scheme) throw new ExternalSignInError('invalid_request', 'No sign-in provider was chosen (the scheme parameter is missing).');
    const url = await this.signIn.challenge(request, reply, query.scheme, query.returnUrl);
    reply.header('cache-control', 'no-store').redirect(url, 302);
  }

  @Get('signin/:scheme')
  callbackGet(@Param('scheme') scheme: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.callback(scheme, parametersOf(request.query), request, reply);
  }

  @Post('signin/:scheme')
  callbackPost(@Param('scheme') scheme: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.callback(scheme, parametersOf(request.body), request, reply);
  }

  private async callback(scheme: string, parameters: CallbackParameters, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await this.signIn.complete(request, reply, scheme, parameters);
    if (result.returnUrl) {
      reply.header('cache-control', 'no-store').redirect(result.returnUrl, 302);
      return;
    }
    const t = this.language.translate(request);
    sendHtml(reply, this.ui.messagePage({
      language: this.language.of(request), title: t('login.signedInTitle'), message: t('login.signedInMessage', { user: result.displayName }),
    }));
  }
}

/** Query or form fields, each once and bounded; anything else is the error page (not JSON: a browser is here). */
function parametersOf(input: unknown): Record<string, string> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object') throw new ExternalSignInError('invalid_request', 'The request is malformed.');
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new ExternalSignInError('invalid_request', `The parameter ${name.slice(0, 64)} must appear once.`);
    if (value.length > MAX_PARAMETER_LENGTH) throw new ExternalSignInError('invalid_request', `The parameter ${name.slice(0, 64)} is too long.`);
    fields[name] = value;
  }
  return fields;
}
