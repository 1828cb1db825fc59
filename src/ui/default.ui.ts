import { Injectable } from '@nestjs/common';
import { escapeHtml } from '../protocol/error-page';
import {
  ANTIFORGERY_FIELD, Ui, type ConsentPageModel, type ConsentScopeModel, type ErrorPageModel, type FormModel,
  type LoggedOutPageModel, type LoginPageModel, type LogoutPageModel, type MessagePageModel, type UserCodePageModel,
} from './ui';

const e = escapeHtml;

/** Plain, accessible server-rendered pages: no scripts, no external assets, labels on every input. */
@Injectable()
export class DefaultUi extends Ui {
  override loginPage(m: LoginPageModel): string {
    return layout('Sign in', `
<h1>Sign in</h1>
${m.clientName ? `<p>to continue to <strong>${e(m.clientName)}</strong></p>` : ''}
${m.error ? `<p role="alert" id="error">${e(m.error)}</p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<input type="hidden" name="returnUrl" value="${e(m.returnUrl)}">
<p><label for="username">Username</label><br>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${e(m.username ?? '')}"></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit" name="button" value="login">Sign in</button>
<button type="submit" name="button" value="cancel" formnovalidate>Cancel</button></p>
</form>${externalProviderList(m)}`);
  }

  override consentPage(m: ConsentPageModel): string {
    return layout('Consent', `
<h1>${e(m.clientName)} is requesting your permission</h1>
${m.userDisplayName ? `<p>Signed in as <strong>${e(m.userDisplayName)}</strong></p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<input type="hidden" name="returnUrl" value="${e(m.returnUrl)}">
${scopeList('Personal information', m.identityScopes)}
${scopeList('Application access', m.apiScopes)}
${m.allowRemember ? `<p><input type="checkbox" id="rememberConsent" name="rememberConsent" value="true" checked>
<label for="rememberConsent">Remember my decision</label></p>` : ''}
<p><button type="submit" name="decision" value="allow">Yes, allow</button>
<button type="submit" name="decision" value="deny">No, do not allow</button></p>
</form>`);
  }

  override logoutPage(m: LogoutPageModel): string {
    return layout('Sign out', `
<h1>Sign out</h1>
<p>Would you like to sign out${m.userDisplayName ? `, <strong>${e(m.userDisplayName)}</strong>` : ''}?</p>
<form method="post" action="${e(m.action)}">
${hidden(m)}
${m.logoutId ? `<input type="hidden" name="logoutId" value="${e(m.logoutId)}">` : ''}
<p><button type="submit" name="decision" value="logout">Yes, sign out</button></p>
</form>`);
  }

  override loggedOutPage(m: LoggedOutPageModel): string {
    return layout('Signed out', `
<h1>You are now signed out</h1>
${m.message ? `<p>${e(m.message)}</p>` : ''}
${m.postLogoutRedirectUri ? `<p><a id="post-logout-redirect" href="${e(m.postLogoutRedirectUri)}">Return to ${e(m.clientName ?? 'the application')}</a></p>` : ''}`);
  }

  override userCodePage(m: UserCodePageModel): string {
    return layout('Connect a device', `
<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
${m.error ? `<p role="alert" id="error">${e(m.error)}</p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<p><label for="userCode">Code</label><br>
<input id="userCode" name="userCode" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus value="${e(m.userCode ?? '')}"></p>
<p><button type="submit" name="button" value="submit">Continue</button></p>
</form>`);
  }

  override messagePage(m: MessagePageModel): string {
    return layout(m.title, `<h1>${e(m.title)}</h1>\n<p>${e(m.message)}</p>`);
  }

  override errorPage(m: ErrorPageModel): string {
    return layout('Error', `
<h1>Sorry, there was an error</h1>
<p><strong id="error">${e(m.error)}</strong></p>
${m.description ? `<p id="error_description">${e(m.description)}</p>` : ''}
${m.backUrl ? `<p><a id="back" href="${e(m.backUrl)}">Back to sign in</a></p>` : ''}
${m.requestId ? `<p><small>Request id: ${e(m.requestId)}</small></p>` : ''}`);
  }
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"></head>
<body><main>${body}
</main></body></html>`;
}

/** A list of links, one per external provider (/account/external?scheme=…). */
function externalProviderList(m: LoginPageModel): string {
  const providers = m.externalProviders ?? [];
  if (providers.length === 0) return '';
  const items = providers.map((p) => `<li><a class="external-provider" id="external-${e(p.scheme)}" href="${e(p.url)}">Sign in with ${e(p.displayName)}</a></li>`).join('\n');
  return `\n<h2>Or sign in with</h2>\n<ul>\n${items}\n</ul>`;
}

function hidden(m: FormModel): string {
  return `<input type="hidden" name="${ANTIFORGERY_FIELD}" value="${e(m.antiforgeryToken)}">`;
}

function scopeList(heading: string, scopes: readonly ConsentScopeModel[]): string {
  if (scopes.length === 0) return '';
  const items = scopes.map((s) => `<li><strong>${e(s.displayName)}</strong>${s.description ? ` — ${e(s.description)}` : ''}</li>`).join('\n');
  return `<h2>${e(heading)}</h2>\n<ul>\n${items}\n</ul>`;
}
