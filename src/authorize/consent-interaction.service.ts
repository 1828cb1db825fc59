import { Injectable } from '@nestjs/common';
import { ConsentService } from '../consent/consent.service';
import type { UserSession } from '../sessions/user-session';
import type { Client, IdentityResource, ApiScope } from '../stores/models';
import { AuthorizeContextService } from './authorize-context.service';
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
    const context = await this.contexts.readReturnUrl(returnUrl);
    if (!context) return undefined;
    const validation = await this.validator.validate(context.params, { pushed: context.pushed });
    if (!validation.valid) return undefined;
    const { client, resources } = validation.request;
    return {
      client,
      scopes: resources.scopes,
      identityResources: resources.identityResources,
      apiScopes: resources.apiScopes,
      offlineAccess: resources.offlineAccess,
    };
  }

  /** Records allow/deny in the context and returns the URL that resumes the request. */
  async decide(returnUrl: string, session: UserSession, decision: { readonly allow: boolean; readonly remember: boolean }): Promise<string | undefined> {
    const context = await this.contexts.readReturnUrl(returnUrl);
    const description = await this.describe(returnUrl);
    if (!context || !description) return undefined;
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
  async describeLogin(returnUrl: string): Promise<{ readonly clientName?: string; readonly loginHint?: string } | undefined> {
    const context = await this.contexts.readReturnUrl(returnUrl);
    if (!context) return undefined;
    const validation = await this.validator.validate(context.params, { pushed: context.pushed });
    if (!validation.valid) return undefined;
    return { clientName: validation.request.client.clientName ?? validation.request.client.clientId, loginHint: validation.request.loginHint };
  }
}
