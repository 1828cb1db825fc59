import { isConsentRequired } from '../consent/consent.service';
import type { UserSession } from '../sessions/user-session';
import type { AuthorizeContext, ValidatedAuthorizeRequest } from './authorize-request';

export type InteractionDecision =
  | { readonly kind: 'login' }
  | { readonly kind: 'consent' }
  | { readonly kind: 'error'; readonly error: 'login_required' | 'consent_required' | 'access_denied'; readonly description: string }
  | { readonly kind: 'complete'; readonly session: UserSession; readonly grantedScopes: readonly string[] };

export interface InteractionInput {
  readonly request: ValidatedAuthorizeRequest;
  readonly context: AuthorizeContext;
  readonly session: UserSession | undefined;
  /** scopes the user consented to before (remembered), if any */
  readonly rememberedScopes: readonly string[] | undefined;
  readonly now: Date;
}

/**
 * What the user must still do before a code can be issued (pure; Duende's
 * AuthorizeInteractionResponseGenerator): log in, consent, or nothing — or, with prompt=none,
 * which error to return instead of showing a page (OIDC Core §3.1.2.6).
 */
export function decideInteraction(input: InteractionInput): InteractionDecision {
  const { request, context, session, now } = input;
  const promptNone = request.prompt.includes('none');
  // The user declined to sign in: the client learns so (RFC 6749 §4.1.2.1 access_denied).
  if (context.loginCancelled) return { kind: 'error', error: 'access_denied', description: 'the user cancelled the sign-in' };

  // A login that happened after this request arrived satisfies prompt=login and max_age.
  const freshLogin = session !== undefined && session.authTime.getTime() >= context.requestedAt;
  const tooOld = session !== undefined && request.maxAge !== undefined
    && now.getTime() - session.authTime.getTime() > request.maxAge * 1000;
  const needsLogin = !session || (!freshLogin && (request.prompt.includes('login') || tooOld));
  if (needsLogin || !session) {
    return promptNone
      ? { kind: 'error', error: 'login_required', description: 'the user must log in' }
      : { kind: 'login' };
  }

  const requestedScopes = request.resources.scopes;
  const outcome = context.consent?.subjectId === session.subjectId ? context.consent : undefined;
  if (outcome) {
    if (!outcome.granted) return { kind: 'error', error: 'access_denied', description: 'the user denied the request' };
    return { kind: 'complete', session, grantedScopes: requestedScopes.filter((s) => outcome.scopes.includes(s)) };
  }
  const consentRequired = isConsentRequired({
    client: request.client,
    requestedScopes,
    promptConsent: request.prompt.includes('consent'),
    rememberedScopes: input.rememberedScopes,
  });
  if (consentRequired) {
    return promptNone
      ? { kind: 'error', error: 'consent_required', description: 'the user must consent' }
      : { kind: 'consent' };
  }
  return { kind: 'complete', session, grantedScopes: requestedScopes };
}
