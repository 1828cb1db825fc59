/** What the error page shows (docs/endpoints.md: the error code, its description, the request id). */
export interface ErrorPageModel {
  readonly error: string;
  readonly description?: string;
  readonly requestId?: string;
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
