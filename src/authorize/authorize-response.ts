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

/** OAuth 2.0 Form Post Response Mode: an auto-submitting form (with a button when scripts are off). */
export function formPostHtml(response: AuthorizeResponse): string {
  const inputs = Object.entries(responseParameters(response))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submit this form</title>
<meta name="referrer" content="no-referrer"></head>
<body onload="document.forms[0].submit()"><main>
<form method="post" action="${escapeHtml(response.redirectUri)}">
${inputs}
<noscript><p>Scripts are disabled: press the button to continue.</p><button type="submit">Continue</button></noscript>
</form>
</main></body></html>`;
}

/** Writes the response in the request's response mode; never cached (it carries a code). */
export function sendAuthorizeResponse(reply: FastifyReply, response: AuthorizeResponse): FastifyReply {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
  if (response.responseMode === 'form_post') {
    return reply.status(200).type('text/html; charset=utf-8').send(formPostHtml(response));
  }
  return reply.redirect(queryRedirectUrl(response), 302);
}
