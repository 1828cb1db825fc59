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
