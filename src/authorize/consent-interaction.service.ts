import { Injectable } from '@nestjs/common';
import { ConsentService } from '../consent/consent.service';
import type { LoginContext } from '../protocol/login-context';
import type { UserSession } from '../sessions/user-session';
import type { Client, IdentityResource, ApiScope } from '../stores/models';
import { AuthorizeContextService } from './authorize-context.service';
import type { AuthorizeContext } from './authorize-request';
import { AuthorizeRequestValidator } from './authorize-request.validator';

/** What the consent page shows for a pending authorization request. */
export interface ConsentRequestDescription {
  readonly client: Client;
  readonly scopes: readonly string[];
  readonly identityResources: readonly IdentityResource[];
  readonly apiScopes: readonly ApiScope[];
  readonly offlineAccess: boolean;
}

/**
 * The consent page's view of an authorization request: what is asked, and recording the
 * user's answer into the request's context (and, when asked to, remembering it).
 */
@Injectable()
export class ConsentInteractionService {
  constructor(
    private readonly contexts: AuthorizeContextService,
    private readonly validator: AuthorizeRequestValidator,
    private readonly consents: ConsentService,
  ) {}

  /** undefined when the returnUrl is not a valid, current authorization request */
  async describe(returnUrl: string): Promise<ConsentRequestDescription | undefined> {
    return (await this.readPending(returnUrl))?.description;
  }

  /** Records allow/deny in the context and returns the URL that resumes the request. */
  async decide(returnUrl: string, session: UserSession, decision: { readonly allow: boolean; readonly remember: boolean }): Promise<string | undefined> {
    const pending = await this.readPending(returnUrl);
    if (!pending) return undefined;
    const { context, description } = pending;
    if (decision.allow && decision.remember) {
      await this.consents.remember(session.subjectId, description.client.clientId, description.scopes);
    }
    return this.contexts.callbackUrl({
      ...context,
      consent: { subjectId: session.subjectId, granted: decision.allow, scopes: decision.allow ? description.scopes : [] },
    });
  }

  /** Records that the user cancelled the login page; returns the URL that resumes the request, if it is one. */
  async cancelLogin(returnUrl: string): Promise<string | undefined> {
    const context = await this.contexts.readReturnUrl(returnUrl);
    return context && this.contexts.callbackUrl({ ...context, loginCancelled: true });
  }

  /** The login_hint and client of the request behind a login page's returnUrl, if any. */
  async describeLogin(returnUrl: string): Promise<LoginContext | undefined> {
    const pending = await this.readPending(returnUrl);
    if (!pending) return undefined;
    const { client } = pending.description;
    return { clientName: client.clientName ?? client.clientId, clientLogoUri: client.logoUri, loginHint: pending.loginHint };
  }

  /** The context behind a returnUrl and its request, validated afresh; undefined when either is not valid. */
  private async readPending(returnUrl: string): Promise<
    { readonly context: AuthorizeContext; readonly description: ConsentRequestDescription; readonly loginHint?: string } | undefined
  > {
    const context = await this.contexts.readReturnUrl(returnUrl);
    if (!context) return undefined;
    const validation = await this.validator.validate(context.params, { pushed: context.pushed });
    if (!validation.valid) return undefined;
    const { client, resources, loginHint } = validation.request;
    return {
      context,
      loginHint,
      description: {
        client,
        scopes: resources.scopes,
        identityResources: resources.identityResources,
        apiScopes: resources.apiScopes,
        offlineAccess: resources.offlineAccess,
      },
    };
  }
}
