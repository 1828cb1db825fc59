import type { CookieSerializeOptions } from '@fastify/cookie';
import { cookieOptionsFor } from '../hosting/cookie-options';
import type { RequestOrigin } from '../hosting/request-origin';

/** Name of the authentication cookie (Duende's default scheme cookie is also `idsrv`). */
export const SESSION_COOKIE_NAME = 'idsrv';

/**
 * The authentication cookie: not readable by scripts, sent on top-level navigations from the
 * client back to us (SameSite=Lax, needed for the authorize redirect), Secure on https.
 * No Max-Age: a browser-session cookie; the server-side session decides how long it is valid.
 */
export function sessionCookieOptions(origin: RequestOrigin): CookieSerializeOptions {
  return cookieOptionsFor(origin, { httpOnly: true, sameSite: 'lax' });
}
