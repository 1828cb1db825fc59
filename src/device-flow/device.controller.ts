import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { ConsentService, isConsentRequired } from '../consent/consent.service';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { getRequestOrigin } from '../hosting/request-origin';
import { ErrorPageError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import { SessionService } from '../sessions/session.service';
import type { UserSession } from '../sessions/user-session';
import { ClientStore } from '../stores/client.store';
import type { Client } from '../stores/models';
import { ANTIFORGERY_COOKIE_NAME, AntiforgeryService } from '../ui/antiforgery.service';
import { toFormFields } from '../ui/form-body';
import { sendHtml } from '../ui/html-response';
import { OFFLINE_ACCESS_CONSENT_SCOPE, Ui, type ConsentScopeModel } from '../ui/ui';
import type { DeviceAuthorization } from './device-authorization';
import { DeviceCodeService } from './device-code.service';
import { normalizeUserCode } from './user-code';
import { UserCodeAttemptsService } from './user-code-attempts.service';
import { PAGE_PATHS } from '../protocol/paths';

/** How long the user has between typing the code and finishing login and consent. */
const INTERACTION_LIFETIME_MS = 10 * 60 * 1000;

/** A device authorization still waiting for the user's decision, and its (enabled) client. */
interface PendingAuthorization {
  readonly authorization: DeviceAuthorization;
  readonly client: Client;
}

const INVALID_CODE = 'That code is not valid or has expired. Check the code on your device and try again.';
const TOO_MANY_ATTEMPTS = 'Too many wrong codes. Please wait a few minutes, then try again.';

/**
 * `GET|POST /device` (RFC 8628 §3.3, SPEC §4): the user types the code, signs in if needed,
 * consents when the client requires it, and the device's next poll gets the tokens.
 * A code from verification_uri_complete is only prefilled — the user still confirms it with the
 * form (RFC 8628 §5.4: a link alone must not authorize a device). Once typed, the code travels
 * through login and consent inside a data-protected `request` parameter.
 */
@Controller('device')
export class DeviceController {
  private readonly protector: DataProtector;

  constructor(
    @Inject(Ui) private readonly ui: Ui,
    private readonly antiforgery: AntiforgeryService,
    private readonly sessions: SessionService,
    private readonly consents: ConsentService,
    private readonly deviceCodes: DeviceCodeService,
    private readonly clients: ClientStore,
    private readonly catalog: ResourceCatalog,
    private readonly clock: Clock,
    dataProtection: DataProtectionProvider,
    private readonly attempts: UserCodeAttemptsService,
  ) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.deviceInteraction);
  }

  @Get()
  async show(
    @Query('userCode') userCode: unknown,
    @Query('request') interaction: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (typeof interaction === 'string') {
      await this.proceed(interaction, await this.readInteraction(interaction, request), request, reply);
      return;
    }
    await this.renderCodePage(request, reply, { userCode: typeof userCode === 'string' ? userCode.slice(0, 20) : undefined });
  }

  @Post()
  async submit(@Query('request') interaction: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const fields = toFormFields(request.body);
    await this.antiforgery.validate(request, fields);
    if (typeof interaction === 'string') {
      await this.decide(interaction, fields.decision, fields.rememberConsent === 'true', request, reply);
      return;
    }
    // RFC 8628 §5.1: guessing user codes is rate-limited per client address.
    const { clientIp } = getRequestOrigin(request);
    if (await this.attempts.isLimited(clientIp)) {
      await this.renderCodePage(request, reply, { userCode: fields.userCode?.slice(0, 20), error: TOO_MANY_ATTEMPTS }, 429);
      return;
    }
    const userCode = normalizeUserCode(fields.userCode ?? '');
    const authorization = userCode && (await this.deviceCodes.findByUserCode(userCode));
    if (!userCode || !authorization || authorization.data.decision) {
      await this.attempts.recordFailure(clientIp);
      await this.renderCodePage(request, reply, { userCode: fields.userCode?.slice(0, 20), error: INVALID_CODE }, 400);
      return;
    }
    // Already loaded: carry on with it rather than reading back the interaction just protected.
    const pending = { authorization, client: await this.enabledClientOf(authorization) };
    await this.proceed(await this.protectInteraction(userCode, authorization, request), pending, request, reply);
  }

  /** After the code: login when needed, then consent or approval. */
  private async proceed(interaction: string, pending: PendingAuthorization, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { authorization, client } = pending;
    const session = await this.sessions.getCurrent(request);
    const here = `${PAGE_PATHS.device}?${new URLSearchParams({ request: interaction })}`;
    if (!session) {
      reply.header('cache-control', 'no-store').redirect(`${PAGE_PATHS.login}?${new URLSearchParams({ returnUrl: here })}`, 302);
      return;
    }
    const scopes = authorization.data.requestedScopes;
    const consentRequired = isConsentRequired({
      client,
      requestedScopes: scopes,
      promptConsent: false,
      // Remembered consent matters only to clients that require consent: skip the read otherwise.
      rememberedScopes: client.requireConsent ? await this.consents.getRememberedScopes(session.subjectId, client.clientId) : undefined,
    });
    if (consentRequired) {
      await this.renderConsentPage(request, reply, here, client, scopes, session);
      return;
    }
    await this.approve(authorization, client, session, reply);
  }

  private async decide(
    interaction: string, decision: string | undefined, remember: boolean, request: FastifyRequest, reply: FastifyReply,
  ): Promise<void> {
    if (decision !== 'allow' && decision !== 'deny') throw new ErrorPageError('invalid_request', 'Please choose to allow or deny.');
    const { authorization, client } = await this.readInteraction(interaction, request);
    const session = await this.sessions.getCurrent(request);
    if (!session) throw new ErrorPageError('login_required', 'Your session has ended. Please enter the code again.');
    if (decision === 'deny') {
      await this.deviceCodes.decide(authorization, { approved: false });
      sendHtml(reply, this.ui.messagePage({ title: 'Access denied', message: `You did not allow ${clientName(client)} to access your account. You can close this window.` }));
      return;
    }
    if (remember) await this.consents.remember(session.subjectId, client.clientId, authorization.data.requestedScopes);
    await this.approve(authorization, client, session, reply);
  }

  private async approve(authorization: DeviceAuthorization, client: Client, session: UserSession, reply: FastifyReply): Promise<void> {
    const recorded = await this.deviceCodes.decide(authorization, {
      approved: true,
      subjectId: session.subjectId,
      sessionId: session.sessionId,
      authTime: session.authTime.getTime(),
      amr: session.amr,
      scopes: authorization.data.requestedScopes,
    });
    if (!recorded) throw new ErrorPageError('invalid_request', INVALID_CODE);
    // The device takes part in the session: end session and back-channel logout reach it too.
    await this.sessions.addClient(session, client.clientId);
    sendHtml(reply, this.ui.messagePage({ title: 'Device connected', message: `${clientName(client)} is now connected. You can return to your device.` }));
  }

  /**
   * The interaction is bound to this browser (its anti-forgery cookie): a `request` link minted
   * by an attacker for their own device code is useless in a victim's browser, which would
   * otherwise approve the attacker's device on GET (RFC 8628 §5.4).
   */
  private async protectInteraction(userCode: string, authorization: DeviceAuthorization, request: FastifyRequest): Promise<string> {
    const expiresAt = Math.min(this.clock.now().getTime() + INTERACTION_LIFETIME_MS, authorization.expiration.getTime());
    return this.protector.protect(JSON.stringify({ userCode, browser: browserBinding(request) }), { expiresAt: new Date(expiresAt) });
  }

  /** The pending authorization behind a `request` parameter, or the error page. */
  private async readInteraction(interaction: string, request: FastifyRequest): Promise<PendingAuthorization> {
    let parsed: { userCode?: unknown; browser?: unknown };
    try {
      parsed = JSON.parse(await this.protector.unprotect(interaction)) as { userCode?: unknown; browser?: unknown };
    } catch (error: unknown) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      throw new ErrorPageError('invalid_request', INVALID_CODE);
    }
    const binding = browserBinding(request);
    if (binding === undefined || parsed.browser !== binding) throw new ErrorPageError('invalid_request', INVALID_CODE);
    const userCode = parsed.userCode;
    const authorization = typeof userCode === 'string' ? await this.deviceCodes.findByUserCode(userCode) : undefined;
    if (!authorization || authorization.data.decision) throw new ErrorPageError('invalid_request', INVALID_CODE);
    return { authorization, client: await this.enabledClientOf(authorization) };
  }

  private async enabledClientOf(authorization: DeviceAuthorization): Promise<Client> {
    const client = await this.clients.findClientById(authorization.clientId);
    if (!client?.enabled) throw new ErrorPageError('invalid_request', INVALID_CODE);
    return client;
  }

  private async renderCodePage(
    request: FastifyRequest, reply: FastifyReply, model: { userCode?: string; error?: string }, status = 200,
  ): Promise<void> {
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.userCodePage({ action: PAGE_PATHS.device, antiforgeryToken, ...model }), status);
  }

  private async renderConsentPage(
    request: FastifyRequest, reply: FastifyReply, action: string, client: Client, scopes: readonly string[], session: UserSession,
  ): Promise<void> {
    const index = await this.catalog.getIndex();
    const identityScopes: ConsentScopeModel[] = [];
    const apiScopes: ConsentScopeModel[] = [];
    for (const name of scopes) {
      const identity = index.identityResources.get(name);
      const api = index.apiScopes.get(name);
      if (identity) identityScopes.push({ name, displayName: identity.displayName ?? name });
      else if (api) apiScopes.push({ name, displayName: api.displayName ?? name });
      else if (name === OFFLINE_ACCESS_SCOPE) apiScopes.push(OFFLINE_ACCESS_CONSENT_SCOPE);
    }
    const antiforgeryToken = await this.antiforgery.issueToken(request, reply);
    sendHtml(reply, this.ui.consentPage({
      action,
      antiforgeryToken,
      returnUrl: action,
      clientName: clientName(client),
      userDisplayName: session.displayName,
      identityScopes,
      apiScopes,
      allowRemember: true,
    }));
  }
}

/** A hash of the browser's anti-forgery cookie (never the cookie itself, which stays secret). */
function browserBinding(request: FastifyRequest): string | undefined {
  const cookie = request.cookies?.[ANTIFORGERY_COOKIE_NAME];
  return cookie ? createHash('sha256').update(cookie).digest('base64url') : undefined;
}

function clientName(client: Client): string {
  return client.clientName ?? client.clientId;
}
