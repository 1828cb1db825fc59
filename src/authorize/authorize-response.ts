import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../protocol/error-page';
import type { ResponseMode } from './authorize-request';

export interface AuthorizeResponse {
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  /** code, or error and error_description; state and iss are added here */
  readonly parameters: Readonly<Record<string, string>>;
  readonly state?: string;
  readonly issuer: string;
}

/** The parameters sent to the client: RFC 6749 §4.1.2 / §4.1.2.1, plus `iss` (RFC 9207 §2). */
export function responseParameters(response: AuthorizeResponse): Record<string, string> {
  return {
    ...response.parameters,
    ...(response.state !== undefined ? { state: response.state } : {}),
    iss: response.issuer,
  };
}

/** `query`: appended to the redirect URI's existing query (RFC 6749 §3.1.2). */
export function queryRedirectUrl(response: AuthorizeResponse): string {
  const url = new URL(response.redirectUri);
  for (const [name, value] of Object.entries(responseParameters(response))) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * The one script of the form_post page: it submits the form, which stands before it. Fixed text,
 * so its hash is fixed too. Called through `HTMLFormElement.prototype` so that no field name could
 * ever shadow `form.submit`.
 */
export const FORM_POST_SCRIPT = 'HTMLFormElement.prototype.submit.call(document.forms[0]);';

/** The CSP source that allows exactly FORM_POST_SCRIPT (CSP Level 3 hash-source). */
export const FORM_POST_SCRIPT_HASH = `'sha256-${createHash('sha256').update(FORM_POST_SCRIPT, 'utf8').digest('base64')}'`;

/**
 * The form_post page's headers: the page rules (src/protocol/page-security-headers.ts) as far as
 * the protocol allows. No inline event handler; the one inline script runs only because its hash
 * is in `script-src`; nothing else loads (`default-src 'none'`); never cached (it carries a code);
 * no referrer to the client.
 *
 * Deliberately no `frame-ancestors` and no `X-Frame-Options`: a client renews tokens silently by
 * loading /connect/authorize?prompt=none&response_mode=form_post in a hidden iframe on its own
 * pages (which may themselves be embedded elsewhere), and this page must render there to post the
 * answer to the client. Framing it gains an attacker nothing: the page shows nothing of value,
 * posts only to the redirect URI the client registered, and the query response mode (a redirect,
 * which no framing rule stops either) delivers the same parameters to the same place.
 */
export const FORM_POST_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': `default-src 'none'; script-src ${FORM_POST_SCRIPT_HASH}; base-uri 'none'`,
};

/**
 * OAuth 2.0 Form Post Response Mode: a form that its script submits at once; where scripts are off,
 * a button in <noscript> submits it.
 */
export function formPostHtml(response: AuthorizeResponse): string {
  const inputs = Object.entries(responseParameters(response))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submit this form</title>
<meta name="referrer" content="no-referrer"></head>
<body><main>
<form method="post" action="${escapeHtml(response.redirectUri)}">
${inputs}
<noscript><p>Scripts are disabled: press the button to continue.</p><button type="submit">Continue</button></noscript>
</form>
</main>
<script>${FORM_POST_SCRIPT}</script>
</body></html>`;
}

/** Writes the response in the request's response mode; never cached (it carries a code). */
export function sendAuthorizeResponse(reply: FastifyReply, response: AuthorizeResponse): FastifyReply {
  if (response.responseMode === 'form_post') {
    for (const [name, value] of Object.entries(FORM_POST_SECURITY_HEADERS)) reply.header(name, value);
    return reply.status(200).type('text/html; charset=utf-8').send(formPostHtml(response));
  }
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
  return reply.redirect(queryRedirectUrl(response), 302);
}
