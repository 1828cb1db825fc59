/**
 * True only for a path on this server ("/connect/authorize/callback?…"): never an absolute URL,
 * a protocol-relative "//host" or a "/\host" that browsers treat as one — the returnUrl must
 * never become an open redirect.
 */
export function isLocalUrl(url: string | undefined): url is string {
  if (!url || url.length > 8192) return false;
  if (!url.startsWith('/')) return false;
  if (url.startsWith('//') || url.startsWith('/\\')) return false;
  // Control characters and backslashes are normalised unpredictably by browsers.
  return !/[\u0000-\u001f\u007f\\]/.test(url);
}

/**
 * The URL as a `Location` header value: every character outside printable ASCII percent-encoded
 * as UTF-8 (RFC 3986 §2.1; a lone surrogate becomes U+FFFD). Node refuses header values above
 * U+00FF, so a returnUrl like `/ü→x` must not reach the header raw. Existing escapes are kept.
 */
export function toLocationHeader(url: string): string {
  return url.replace(/[^\x21-\x7e]/gu, (character) => {
    let encoded = '';
    for (const byte of Buffer.from(character, 'utf8')) encoded += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    return encoded;
  });
}
