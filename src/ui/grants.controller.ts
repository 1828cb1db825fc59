import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PAGE_PATHS } from '../protocol/paths';
import { ErrorPageError } from '../protocol/protocol-errors';
import { SessionService } from '../sessions/session.service';
import { AntiforgeryService } from './antiforgery.service';
import { toFormFields } from './form-body';
import { GrantsService } from './grants.service';
import { sendHtml } from './html-response';
import { PageLanguage } from './page-language';
import { Ui } from './ui';

/** A client id as the revoke button posts it (the configuration file's clientId, bounded). */
const MAX_CLIENT_ID_LENGTH = 200;

/**
 * `GET|POST /grants` (docs/endpoints.md): the signed-in user sees, per client, remembered consent
 * and refresh tokens, and revokes them with a button `name="revoke" value="{clientId}"`. Not
 * signed in: the login page, coming back here.
 */
@Controller('grants')
export class GrantsController {
  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly sessions: SessionService,
    private readonly grants: GrantsService,
    private readonly language: PageLanguage,
  ) {}

  @Get()
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const session = await this.sessions.getCurrent(request);
    if (!session) {
      this.toLogin(reply);
      return;
    }
    await this.render(request, reply, session.subjectId, session.displayName);
  }

  @Post()
  async submit(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    const session = await this.sessions.getCurrent(request);
    if (!session) {
      this.toLogin(reply);
      return;
    }
    const clientId = fields.revoke;
    if (!clientId || clientId.length > MAX_CLIENT_ID_LENGTH) throw new ErrorPageError('invalid_request', 'Please use a revoke button.');
    // Only the signed-in user's grants: the subject comes from the session, never from the form.
    const revokedClientName = await this.grants.revoke(session.subjectId, clientId);
    await this.render(request, reply, session.subjectId, session.displayName, revokedClientName);
  }

  private toLogin(reply: FastifyReply): void {
    reply.header('cache-control', 'no-store').redirect(`${PAGE_PATHS.login}?${new URLSearchParams({ returnUrl: PAGE_PATHS.grants })}`, 302);
  }

  private async render(
    request: FastifyRequest, reply: FastifyReply, subjectId: string, userDisplayName: string | undefined, revokedClientName?: string,
  ): Promise<void> {
    const grants = await this.grants.list(subjectId);
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.grantsPage({
      language: this.language.of(request),
      action: PAGE_PATHS.grants,
      antiforgeryToken,
      userDisplayName,
      grants,
      ...(revokedClientName !== undefined && { revokedClientName }),
    }));
  }
}
