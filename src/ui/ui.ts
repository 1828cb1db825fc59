import { ErrorPageRenderer, type ErrorPageModel } from '../protocol/error-page-renderer';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import type { UiLanguage } from '../config/app-config';

export type { ErrorPageClient, ErrorPageModel } from '../protocol/error-page-renderer';
export type { UiLanguage } from '../config/app-config';

/**
 * The pages of the interactive flows. The server renders them through this one abstract class,
 * so a team swaps the look (or the whole page, error page included) by binding its own `Ui`
 * in `IdentityServerOptions.providers` (README.md, "Replacing the login, consent and logout pages").
 * Every model carries what a page must post back: form field names are fixed by docs/endpoints.md.
 */

/** Every form carries this hidden field; its value is bound to the anti-forgery cookie. */
export const ANTIFORGERY_FIELD = '__RequestVerificationToken';

/** What every page knows besides its content. */
export interface PageModel {
  /** the page language, chosen from Accept-Language with UI_DEFAULT_LANGUAGE as fallback (absent: `en`) */
  readonly language?: UiLanguage;
}

export interface FormModel extends PageModel {
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
  /** the client's `logoUri`, when it has one */
  readonly clientLogoUri?: string;
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
  readonly clientLogoUri?: string;
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

/**
 * The device flow's confirmation page (RFC 8628 §5.4), after the code is entered and the user
 * signed in: which client, which scopes, the code to compare with the device's screen. The form
 * posts `decision=allow|deny` (and `rememberConsent=true` when remembering is offered).
 */
export interface DeviceConfirmationPageModel extends FormModel {
  readonly clientName: string;
  readonly clientLogoUri?: string;
  /** the user code, formatted as the device shows it (XXXX-XXXX) */
  readonly userCode: string;
  readonly userDisplayName?: string;
  readonly identityScopes: readonly ConsentScopeModel[];
  readonly apiScopes: readonly ConsentScopeModel[];
  /** whether "remember my decision" is offered (the client requires consent) */
  readonly allowRemember: boolean;
}

/** What one client holds for the signed-in user. */
export interface GrantModel {
  readonly clientId: string;
  readonly clientName: string;
  readonly clientLogoUri?: string;
  /** scopes of the remembered consent (empty: none remembered) */
  readonly rememberedScopes: readonly ConsentScopeModel[];
  /** how many live refresh tokens the client holds */
  readonly refreshTokens: number;
  /** when the oldest of them was granted */
  readonly created?: Date;
}

/**
 * `/grants`: each client with what it holds; each revoke button is `name="revoke" value="{clientId}"`
 * in a form posting to `action`.
 */
export interface GrantsPageModel extends FormModel {
  readonly userDisplayName?: string;
  readonly grants: readonly GrantModel[];
  /** the client whose access was just revoked, to confirm it */
  readonly revokedClientName?: string;
}

export interface LoggedOutPageModel extends PageModel {
  readonly postLogoutRedirectUri?: string;
  readonly clientName?: string;
  /** iframes or nothing: front-channel URIs to render, if any */
  readonly message?: string;
}

export interface MessagePageModel extends PageModel {
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
  abstract deviceConfirmationPage(model: DeviceConfirmationPageModel): string;
  abstract grantsPage(model: GrantsPageModel): string;
  abstract messagePage(model: MessagePageModel): string;
  abstract override errorPage(model: ErrorPageModel): string;
}
