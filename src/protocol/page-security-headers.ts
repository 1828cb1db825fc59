/**
 * The headers of every HTML page (login, consent, device, grants, the error page): never cached
 * (pages carry anti-forgery tokens and user data), never framed (clickjacking), no script at all,
 * styles and images only from this server (images also from https: for client logos), and no
 * referrer leaking the query string to the client's logo host. The authorization endpoint's
 * form_post answer has its own set (src/authorize/authorize-response.ts): one hashed script, framable.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: http: data:; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};
