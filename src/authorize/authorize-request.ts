import type { ValidatedResources } from '../resources/resource-validation';
import type { Client } from '../stores/models';

/** Authorization request parameters, each present once (empty values count as absent). */
export type AuthorizeParameters = Readonly<Record<string, string>>;

export type ResponseMode = 'query' | 'form_post';
export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

/** An authorization request that passed every check (the output of the validator). */
export interface ValidatedAuthorizeRequest {
  readonly params: AuthorizeParameters;
  readonly client: Client;
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state?: string;
  readonly nonce?: string;
  readonly resources: ValidatedResources;
  readonly resource?: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: 'S256';
  readonly prompt: readonly Prompt[];
  /** seconds (OIDC Core §3.1.2.1) */
  readonly maxAge?: number;
  readonly loginHint?: string;
  /** whether the parameters came from a pushed authorization request (RFC 9126) */
  readonly pushed: boolean;
}

/** Where an error may be sent once client and redirect_uri are known (RFC 6749 §4.1.2.1). */
export interface ErrorTarget {
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state?: string;
}

export type AuthorizeValidationResult =
  | { readonly valid: true; readonly request: ValidatedAuthorizeRequest }
  /** before the client and redirect_uri are trusted: shown on the error page, never redirected */
  | { readonly valid: false; readonly kind: 'page'; readonly error: string; readonly description: string; readonly client?: Client }
  /** after: sent back to the client's redirect_uri */
  | { readonly valid: false; readonly kind: 'redirect'; readonly error: string; readonly description: string; readonly target: ErrorTarget; readonly client: Client };

/**
 * The state of one authorization request while the user logs in and consents: carried in the
 * returnUrl of the login and consent pages, data-protected so it cannot be tampered with.
 */
export interface AuthorizeContext {
  readonly v: 1;
  readonly params: AuthorizeParameters;
  readonly pushed: boolean;
  /** ms: when the request arrived; a login after this satisfies prompt=login and max_age */
  readonly requestedAt: number;
  readonly consent?: ConsentOutcome;
  /** the user pressed cancel on the login page: the client gets access_denied */
  readonly loginCancelled?: boolean;
}

export interface ConsentOutcome {
  readonly subjectId: string;
  readonly granted: boolean;
  readonly scopes: readonly string[];
}
