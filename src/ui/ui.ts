import { ErrorPageRenderer, type ErrorPageModel } from '../protocol/error-page-renderer';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';

export type { ErrorPageModel } from '../protocol/error-page-renderer';

/**
 * The pages of the interactive flows. The server renders them through this one abstract class,
 * so a team swaps the look (or the whole page, error page included) by binding its own `Ui`
 * in `IdentityServerOptions.providers` (README.md, "Replacing the login, consent and logout pages").
 * Every model carries what a page must post back: form field names are fixed by docs/endpoints.md.
 */

/** Every form carries this hidden field; its value is bound to the anti-forgery cookie. */
export const ANTIFORGERY_FIELD = '__RequestVerificationToken';

export interface FormModel {
  /** the form's action (a local path) */
  readonly action: string;
  /** value of the hidden anti-forgery field */
  readonly antiforgeryToken: string;
}

/** An external identity provider the login page offers (`externalProviders` in the configuration). */
export interface ExternalProviderButtonModel {
  /** the provider's scheme, e.g. `corp` (its callback is /signin/{scheme}) */
  readonly scheme: string;
  readonly displayName: string;
  /** where the button goes: /account/external?scheme=…&returnUrl=… (a local URL) */
  readonly url: string;
}

export interface LoginPageModel extends FormModel {
  readonly returnUrl: string;
  readonly username?: string;
  readonly clientName?: string;
  /** shown above the form, e.g. "Invalid username or password" */
  readonly error?: string;
  /** one button per enabled external provider, in configuration order; absent or empty: none */
  readonly externalProviders?: readonly ExternalProviderButtonModel[];
}

export interface ConsentScopeModel {
  readonly name: string;
  readonly displayName: string;
  readonly description?: string;
}

/** How the consent pages show offline_access (it is neither an identity resource nor an API scope). */
export const OFFLINE_ACCESS_CONSENT_SCOPE: ConsentScopeModel = {
  name: OFFLINE_ACCESS_SCOPE,
  displayName: 'Offline access',
  description: 'Access to your data while you are not signed in',
};

export interface ConsentPageModel extends FormModel {
  readonly returnUrl: string;
  readonly clientName: string;
  readonly userDisplayName?: string;
  readonly identityScopes: readonly ConsentScopeModel[];
  readonly apiScopes: readonly ConsentScopeModel[];
  /** whether "remember my decision" is offered */
  readonly allowRemember: boolean;
}

export interface LogoutPageModel extends FormModel {
  /** opaque, data-protected logout context posted back unchanged */
  readonly logoutId?: string;
  readonly userDisplayName?: string;
}

/** The device flow's code entry page (`/device`, RFC 8628 §3.3): the input is named `userCode`. */
export interface UserCodePageModel extends FormModel {
  /** prefilled from verification_uri_complete */
  readonly userCode?: string;
  /** shown above the form, e.g. "That code is not valid" */
  readonly error?: string;
}

export interface LoggedOutPageModel {
  readonly postLogoutRedirectUri?: string;
  readonly clientName?: string;
  /** iframes or nothing: front-channel URIs to render, if any */
  readonly message?: string;
}

export interface MessagePageModel {
  readonly title: string;
  readonly message: string;
}

/** Every page; the error page is the ErrorPageRenderer's, which the exception filter injects. */
export abstract class Ui extends ErrorPageRenderer {
  abstract loginPage(model: LoginPageModel): string;
  abstract consentPage(model: ConsentPageModel): string;
  abstract logoutPage(model: LogoutPageModel): string;
  abstract loggedOutPage(model: LoggedOutPageModel): string;
  abstract userCodePage(model: UserCodePageModel): string;
  abstract messagePage(model: MessagePageModel): string;
  abstract override errorPage(model: ErrorPageModel): string;
}
