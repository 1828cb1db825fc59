import { ErrorPageError, type ProtocolError } from './protocol-errors';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The error page shown at interactive endpoints when the client cannot be safely redirected to. */
export function renderErrorPage(error: ProtocolError, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Sorry, there was an error</h1>
<p><strong id="error">${escapeHtml(error.error)}</strong></p>
${error.description ? `<p id="error_description">${escapeHtml(error.description)}</p>` : ''}
${error instanceof ErrorPageError && error.backUrl !== undefined ? `<p><a id="back" href="${escapeHtml(error.backUrl)}">Back</a></p>` : ''}
<p><small>Request id: ${escapeHtml(requestId)}</small></p>
</main></body></html>`;
}
