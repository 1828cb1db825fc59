import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { ConsentService } from '../consent/consent.service';
import type { RequestOrigin } from '../hosting/request-origin';
import { ErrorPageError } from '../protocol/protocol-errors';
import type { ErrorPageClient } from '../protocol/error-page-renderer';
import type { Client } from '../stores/models';
import { SessionService } from '../sessions/session.service';
import { AuthorizationCodeService } from './authorization-code.service';
import { AuthorizeContextService } from './authorize-context.service';
import { decideInteraction } from './authorize-interaction';
import type { AuthorizeContext, AuthorizeParameters, ErrorTarget, ValidatedAuthorizeRequest } from './authorize-request';
import { AuthorizeRequestValidator } from './authorize-request.validator';
import { sendAuthorizeResponse } from './authorize-response';
import { PushedAuthorizationService } from './pushed-authorization.service';
import { PAGE_PATHS } from '../protocol/paths';

/**
 * The authorization endpoint's steps (Duende: AuthorizeEndpoint → validator → interaction →
 * response generator): resolve a pushed request, validate, decide whether the user must log in
 * or consent, then issue the code and answer in the requested response mode.
 */
@Injectable()
export class AuthorizeService {
  constructor(
    private readonly validator: AuthorizeRequestValidator,
    private readonly contexts: AuthorizeContextService,
    private readonly pushed: PushedAuthorizationService,
    private readonly sessions: SessionService,
    private readonly consents: ConsentService,
    private readonly codes: AuthorizationCodeService,
    private readonly clock: Clock,
  ) {}

  /** A fresh request from the browser (GET or POST /connect/authorize). */
  async authorize(params: AuthorizeParameters, request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<FastifyReply> {
    const context: AuthorizeContext = {
      v: 1,
      ...(await this.resolvePushedRequest(params)),
      requestedAt: this.clock.now().getTime(),
    };
    return this.process(context, request, reply, origin);
  }

  /** The browser returns from login or consent (GET /connect/authorize/callback?ctx=…). */
  async resume(contextToken: string | undefined, request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<FastifyReply> {
    const context = await this.contexts.read(contextToken);
    if (!context) throw new ErrorPageError('invalid_request', 'The sign-in request has expired or is invalid. Please return to the application and try again.');
    return this.process(context, request, reply, origin);
  }

  /**
   * RFC 9126 §4: with request_uri, the pushed parameters replace the request's; the request_uri is
   * spent here, once, and the parameters travel on in the protected context.
   */
  private async resolvePushedRequest(params: AuthorizeParameters): Promise<Pick<AuthorizeContext, 'params' | 'pushed'>> {
    const requestUri = params.request_uri;
    if (requestUri === undefined) return { params, pushed: false };
    const clientId = params.client_id;
    if (clientId === undefined) throw new ErrorPageError('invalid_request', 'client_id is missing');
    const pushedParams = await this.pushed.take(requestUri, clientId);
    if (!pushedParams) throw new ErrorPageError('invalid_request_uri', 'request_uri is unknown, expired, already used or belongs to another client');
    return { params: { ...pushedParams, client_id: clientId }, pushed: true };
  }

  private async process(context: AuthorizeContext, request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<FastifyReply> {
    const validation = await this.validator.validate(context.params, { pushed: context.pushed });
    if (!validation.valid) {
      if (validation.kind === 'page') throw new ErrorPageError(validation.error, validation.description).withClient(errorPageClient(validation.client));
      return this.sendError(reply, validation.target, validation.error, validation.description, origin);
    }
    const validated = validation.request;
    const session = await this.sessions.getCurrent(request);
    const decision = decideInteraction({
      request: validated,
      context,
      session,
      // Remembered consent matters only to clients that require consent: skip the read otherwise.
      rememberedScopes: session && validated.client.requireConsent
        ? await this.consents.getRememberedScopes(session.subjectId, validated.client.clientId)
        : undefined,
      now: this.clock.now(),
    });
    switch (decision.kind) {
      case 'login':
        return this.redirectToPage(reply, PAGE_PATHS.login, context);
      case 'consent':
        return this.redirectToPage(reply, PAGE_PATHS.consent, context);
      case 'error':
        return this.sendError(reply, targetOf(validated), decision.error, decision.description, origin);
      case 'complete': {
        const current = await this.sessions.addClient(decision.session, validated.client.clientId);
        const code = await this.codes.issue(validated.client, {
          redirectUri: validated.redirectUri,
          codeChallenge: validated.codeChallenge,
          codeChallengeMethod: validated.codeChallengeMethod,
          scopes: decision.grantedScopes,
          resource: validated.resource,
          nonce: validated.nonce,
          subjectId: current.subjectId,
          sessionId: current.sessionId,
          authTime: current.authTime.getTime(),
          amr: current.amr,
          ...(current.idp !== undefined && { idp: current.idp }),
        });
        return sendAuthorizeResponse(reply, {
          ...targetOf(validated),
          parameters: { code },
          issuer: origin.issuer,
        });
      }
    }
  }

  private async redirectToPage(reply: FastifyReply, path: string, context: AuthorizeContext): Promise<FastifyReply> {
    const returnUrl = await this.contexts.callbackUrl(context);
    reply.header('cache-control', 'no-store');
    return reply.redirect(`${path}?${new URLSearchParams({ returnUrl }).toString()}`, 302);
  }

  /** RFC 6749 §4.1.2.1: errors go back to the (validated) redirect_uri with state, plus iss (RFC 9207). */
  private sendError(reply: FastifyReply, target: ErrorTarget, error: string, description: string, origin: RequestOrigin): FastifyReply {
    return sendAuthorizeResponse(reply, {
      ...target,
      parameters: { error, error_description: description },
      issuer: origin.issuer,
    });
  }
}

function targetOf(request: ValidatedAuthorizeRequest): ErrorTarget {
  return { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state };
}

/**
 * The client an error page links back to: its first registered post-logout redirect URI, else the
 * origin of its first registered http(s) redirect URI — addresses the operator registered, never
 * one taken from the failed request.
 */
export function errorPageClient(client: Client | undefined): ErrorPageClient | undefined {
  if (!client) return undefined;
  const name = client.clientName ?? client.clientId;
  const home = client.postLogoutRedirectUris[0] ?? client.redirectUris.map(httpOrigin).find((origin) => origin !== undefined);
  return home === undefined ? { name } : { name, uri: home };
}

function httpOrigin(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' || url.protocol === 'http:' ? `${url.origin}/` : undefined;
  } catch {
    return undefined;
  }
}
