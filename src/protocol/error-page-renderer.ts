import type { UiLanguage } from '../config/app-config';

/** The application a failed request came from, when it is known and trusted. */
export interface ErrorPageClient {
  readonly name: string;
  /** a registered address of the client to go back to (absent: no link) */
  readonly uri?: string;
}

/** What the error page shows (docs/endpoints.md: the error code, its description, the request id). */
export interface ErrorPageModel {
  readonly error: string;
  readonly description?: string;
  readonly requestId?: string;
  /** the page language, from Accept-Language (absent: `en`) */
  readonly language?: UiLanguage;
  /** the client to offer a link back to */
  readonly client?: ErrorPageClient;
  /** a local URL to offer as the way back (e.g. the sign-in page after a failed external sign-in) */
  readonly backUrl?: string;
}

/**
 * Renders the HTML error page of the interactive endpoints. The exception filter injects it; it
 * is bound by default to the application's `Ui` (whose `errorPage` it is), so a team that
 * replaces the Ui restyles the error page too, or binds this token alone for the error page only.
 */
export abstract class ErrorPageRenderer {
  abstract errorPage(model: ErrorPageModel): string;
}
