import type { CookieSerializeOptions } from '@fastify/cookie';
import type { RequestOrigin } from './request-origin';

/**
 * Cookie options for this request: `Secure` whenever the browser talks https to us — the
 * effective scheme after forwarded-header processing, or an https ISSUER_URI — so cookies work
 * behind a TLS-terminating proxy and never leak over plain http. HttpOnly and SameSite=Lax
 * unless the caller says otherwise.
 */
export function cookieOptionsFor(origin: RequestOrigin, options: CookieSerializeOptions = {}): CookieSerializeOptions {
  const secure = origin.scheme === 'https' || origin.issuer.startsWith('https://');
  return { path: '/', httpOnly: true, sameSite: 'lax', ...options, secure };
}
