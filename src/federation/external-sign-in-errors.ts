import { ErrorPageError } from '../protocol/protocol-errors';
import { PAGE_PATHS } from '../protocol/paths';

/** The sign-in page of the interrupted request (or the bare one): the way back from a failed external sign-in. */
export function signInPageOf(returnUrl: string): string {
  return returnUrl ? `${PAGE_PATHS.login}?${new URLSearchParams({ returnUrl }).toString()}` : PAGE_PATHS.login;
}

/**
 * A failed external sign-in, shown on the error page with a link back to the sign-in page; no
 * session is started. `status` 502 when the provider itself failed (unreachable, invalid answer).
 */
export class ExternalSignInError extends ErrorPageError {
  constructor(error: string, description: string, returnUrl = '', status = 400) {
    super(error, description, status, {}, signInPageOf(returnUrl));
  }
}
