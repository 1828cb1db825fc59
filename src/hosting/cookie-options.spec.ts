import { cookieOptionsFor } from './cookie-options';
import type { RequestOrigin } from './request-origin';

function origin(scheme: 'http' | 'https', issuer = `${scheme}://id.example`): RequestOrigin {
  return { clientIp: '198.51.100.7', scheme, host: 'id.example', issuer };
}

describe('cookieOptionsFor', () => {
  it('when the effective scheme is https, should set Secure', () => {
    expect(cookieOptionsFor(origin('https'))).toEqual({ path: '/', httpOnly: true, sameSite: 'lax', secure: true });
  });

  it('when the effective scheme is http, should not set Secure', () => {
    expect(cookieOptionsFor(origin('http')).secure).toBe(false);
  });

  it('when ISSUER_URI is https behind an untrusted hop, should still set Secure', () => {
    expect(cookieOptionsFor(origin('http', 'https://id.example')).secure).toBe(true);
  });

  it('should keep the caller\'s options but never let them drop Secure on https', () => {
    expect(cookieOptionsFor(origin('https'), { path: '/account', maxAge: 60, secure: false })).toEqual({
      path: '/account', httpOnly: true, sameSite: 'lax', maxAge: 60, secure: true,
    });
  });
});
