import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type UiSettings } from '../config/app-config';
import { escapeHtml } from '../protocol/error-page';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import { errorExplanationKey, translator, type Translate } from './i18n';
import { buildSiteStylesheet } from './site-css';
import {
  ANTIFORGERY_FIELD, Ui, type ConsentPageModel, type ConsentScopeModel, type DeviceConfirmationPageModel, type ErrorPageModel,
  type FormModel, type GrantModel, type GrantsPageModel, type LoggedOutPageModel, type LoginPageModel, type LogoutPageModel,
  type MessagePageModel, type PageModel, type UserCodePageModel,
} from './ui';

const e = escapeHtml;

const DEFAULT_UI_SETTINGS: UiSettings = { productName: 'Identity', primaryColor: '#2557d6', defaultLanguage: 'en' };

/**
 * The default pages: server-rendered, no script, one small stylesheet served by the server
 * (/ui/site.css), branded by the UI_* settings, in the language of the model (src/ui/i18n).
 * Every input has a label; errors are announced (`role="alert"`) and tied to their field.
 */
@Injectable()
export class DefaultUi extends Ui {
  private readonly settings: UiSettings;

  constructor(@Optional() @Inject(APP_CONFIG) config?: AppConfig) {
    super();
    this.settings = config?.ui ?? DEFAULT_UI_SETTINGS;
  }

  override loginPage(m: LoginPageModel): string {
    const t = this.t(m);
    const invalid = m.error ? ' aria-invalid="true" aria-describedby="error"' : '';
    const providers = m.externalProviders ?? [];
    return this.layout(m, t('login.title'), `
<h1>${t('login.heading')}</h1>
${m.clientName ? clientLine(m.clientLogoUri, withStrong(t('login.continueTo', { client: PLACEHOLDER }), m.clientName)) : ''}
${m.error ? `<p class="alert" role="alert" id="error">${e(m.error)}</p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<input type="hidden" name="returnUrl" value="${e(m.returnUrl)}">
<div class="field"><label for="username">${t('login.username')}</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required${m.error ? '' : ' autofocus'}${invalid} value="${e(m.username ?? '')}"></div>
<div class="field"><label for="password">${t('login.password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${m.error ? ' autofocus' : ''}${invalid}></div>
<div class="actions"><button class="primary" type="submit" name="button" value="login">${t('login.submit')}</button>
<button type="submit" name="button" value="cancel" formnovalidate>${t('login.cancel')}</button></div>
</form>
${providers.length === 0 ? '' : `<p class="separator">${t('login.or')}</p>
${providers.map((p) => `<a class="button block external" id="external-${e(p.scheme)}" href="${e(p.url)}" data-scheme="${e(p.scheme)}">${e(t('login.external', { provider: p.displayName }))}</a>`).join('\n')}`}`);
  }

  override consentPage(m: ConsentPageModel): string {
    const t = this.t(m);
    return this.layout(m, `${t('consent.title')}: ${m.clientName}`, `
${clientLogo(m.clientLogoUri)}
<h1>${e(t('consent.heading', { client: m.clientName }))}</h1>
${m.userDisplayName ? `<p class="lead">${e(t('consent.signedInAs', { user: m.userDisplayName }))}</p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<input type="hidden" name="returnUrl" value="${e(m.returnUrl)}">
${scopeList(t, t('consent.identityScopes'), m.identityScopes)}
${scopeList(t, t('consent.apiScopes'), m.apiScopes)}
${m.allowRemember ? rememberBox(t) : ''}
<div class="actions"><button class="primary" type="submit" name="decision" value="allow">${t('consent.allow')}</button>
<button type="submit" name="decision" value="deny">${t('consent.deny')}</button></div>
</form>`);
  }

  override logoutPage(m: LogoutPageModel): string {
    const t = this.t(m);
    return this.layout(m, t('logout.title'), `
<h1>${t('logout.heading')}</h1>
<p>${e(m.userDisplayName ? t('logout.questionNamed', { user: m.userDisplayName }) : t('logout.question'))}</p>
<form method="post" action="${e(m.action)}">
${hidden(m)}
${m.logoutId ? `<input type="hidden" name="logoutId" value="${e(m.logoutId)}">` : ''}
<div class="actions"><button class="primary" type="submit" name="decision" value="logout">${t('logout.submit')}</button></div>
</form>`);
  }

  override loggedOutPage(m: LoggedOutPageModel): string {
    const t = this.t(m);
    const back = m.postLogoutRedirectUri
      ? `<p><a class="button primary" id="post-logout-redirect" href="${e(m.postLogoutRedirectUri)}">${e(t('loggedOut.returnTo', { client: m.clientName ?? t('loggedOut.theApplication') }))}</a></p>`
      : `<p id="close-window">${t('loggedOut.close')}</p>`;
    return this.layout(m, t('loggedOut.title'), `
<h1>${t('loggedOut.heading')}</h1>
${m.message ? `<p>${e(m.message)}</p>` : ''}
${back}`);
  }

  override userCodePage(m: UserCodePageModel): string {
    const t = this.t(m);
    const invalid = m.error ? ' aria-invalid="true" aria-describedby="error"' : ' aria-describedby="userCode-help"';
    return this.layout(m, t('device.title'), `
<h1>${t('device.heading')}</h1>
<p class="lead" id="userCode-help">${t('device.instructions')}</p>
${m.error ? `<p class="alert" role="alert" id="error">${e(m.error)}</p>` : ''}
<form method="post" action="${e(m.action)}">
${hidden(m)}
<div class="field"><label for="userCode">${t('device.code')}</label>
<input id="userCode" name="userCode" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus${invalid} value="${e(m.userCode ?? '')}"></div>
<div class="actions"><button class="primary" type="submit" name="button" value="submit">${t('device.submit')}</button></div>
</form>`);
  }

  override deviceConfirmationPage(m: DeviceConfirmationPageModel): string {
    const t = this.t(m);
    return this.layout(m, `${t('deviceConfirm.title')}: ${m.clientName}`, `
${clientLogo(m.clientLogoUri)}
<h1>${e(t('deviceConfirm.heading', { client: m.clientName }))}</h1>
${m.userDisplayName ? `<p class="lead">${e(t('consent.signedInAs', { user: m.userDisplayName }))}</p>` : ''}
<h2 id="code-label">${t('deviceConfirm.codeLabel')}</h2>
<p class="code" id="user-code" aria-labelledby="code-label">${e(m.userCode)}</p>
<p>${t('deviceConfirm.check')}</p>
<form method="post" action="${e(m.action)}">
${hidden(m)}
${scopeList(t, t('consent.identityScopes'), m.identityScopes)}
${scopeList(t, t('consent.apiScopes'), m.apiScopes)}
${m.allowRemember ? rememberBox(t) : ''}
<div class="actions"><button class="primary" type="submit" name="decision" value="allow">${t('deviceConfirm.allow')}</button>
<button type="submit" name="decision" value="deny">${t('deviceConfirm.deny')}</button></div>
</form>`);
  }

  override grantsPage(m: GrantsPageModel): string {
    const t = this.t(m);
    const items = m.grants.map((g) => grantItem(t, m, g)).join('\n');
    return this.layout(m, t('grants.title'), `
<h1>${t('grants.heading')}</h1>
${m.userDisplayName ? `<p class="lead">${e(t('consent.signedInAs', { user: m.userDisplayName }))}</p>` : ''}
${m.revokedClientName ? `<p class="notice" role="status" id="revoked">${e(t('grants.revoked', { client: m.revokedClientName }))}</p>` : ''}
${m.grants.length === 0 ? `<p id="no-grants">${t('grants.none')}</p>` : `<p>${t('grants.intro')}</p>\n<ul class="grants">\n${items}\n</ul>`}`, 'wide');
  }

  override messagePage(m: MessagePageModel): string {
    return this.layout(m, m.title, `<h1>${e(m.title)}</h1>\n<p>${e(m.message)}</p>`);
  }

  override errorPage(m: ErrorPageModel): string {
    const t = this.t(m);
    const back = m.client?.uri
      ? `<p><a class="button primary" id="back-to-client" href="${e(m.client.uri)}">${e(t('error.backTo', { client: m.client.name }))}</a></p>`
      : m.backUrl
        ? `<p><a class="button primary" id="back" href="${e(m.backUrl)}">${t('error.backToSignIn')}</a></p>`
        : '';
    return this.layout(m, t('error.title'), `
<h1>${t('error.heading')}</h1>
<p class="alert" role="alert" id="explanation">${t(errorExplanationKey(m.error))}</p>
${back}
<dl class="meta">
<dt>${t('error.code')}</dt><dd id="error">${e(m.error)}</dd>
${m.description ? `<dt>${t('error.details')}</dt><dd id="error_description">${e(m.description)}</dd>` : ''}
${m.requestId ? `<dt>${t('error.requestId')}</dt><dd id="request-id">${e(m.requestId)}</dd>` : ''}
</dl>
${m.requestId ? `<p class="help">${t('error.requestIdHelp')}</p>` : ''}`);
  }

  private t(m: PageModel): Translate {
    return translator(m.language ?? 'en');
  }

  /** The page around every body: `<html lang>`, "Where – Product" title, the brand, the stylesheet. */
  private layout(m: PageModel, where: string, body: string, width: 'narrow' | 'wide' = 'narrow'): string {
    const language = m.language ?? 'en';
    const t = translator(language);
    const { productName, logoUrl, primaryColor } = this.settings;
    const stylesheet = buildSiteStylesheet(primaryColor);
    return `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><title>${e(where)} – ${e(productName)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<link rel="stylesheet" href="${e(stylesheet.href)}"></head>
<body><a class="skip" href="#content">${t('layout.skip')}</a>
<header class="brand">${logoUrl ? `<img src="${e(logoUrl)}" alt="">` : ''}<span>${e(productName)}</span></header>
<main id="content"${width === 'wide' ? ' class="wide"' : ''}>${body}
</main>
<footer>${e(t('layout.poweredBy', { product: productName }))}</footer>
</body></html>`;
  }
}

function hidden(m: FormModel): string {
  return `<input type="hidden" name="${ANTIFORGERY_FIELD}" value="${e(m.antiforgeryToken)}">`;
}

function clientLogo(logoUri: string | undefined): string {
  return logoUri ? `<div class="client"><img src="${e(logoUri)}" alt=""></div>` : '';
}

/** Stands for a value that is set in bold after escaping (never in a catalogue string). */
const PLACEHOLDER = '\u0000';

/** Escapes a translated sentence, then puts `value` (escaped too) in bold where PLACEHOLDER stands. */
function withStrong(sentence: string, value: string): string {
  return e(sentence).replace(PLACEHOLDER, `<strong>${e(value)}</strong>`);
}

/** The client line of the login page; `html` is already escaped. */
function clientLine(logoUri: string | undefined, html: string): string {
  return `<div class="client" id="client">${logoUri ? `<img src="${e(logoUri)}" alt="">` : ''}<p>${html}</p></div>`;
}

function rememberBox(t: Translate): string {
  return `<div class="check"><input type="checkbox" id="rememberConsent" name="rememberConsent" value="true" checked>
<label for="rememberConsent">${t('consent.remember')}</label></div>`;
}

function scopeList(t: Translate, heading: string, scopes: readonly ConsentScopeModel[]): string {
  if (scopes.length === 0) return '';
  const items = scopes.map((s) => {
    const [name, description] = s.name === OFFLINE_ACCESS_SCOPE
      ? [t('consent.offlineAccess'), t('consent.offlineAccessDescription')]
      : [scopeName(t, s), s.description];
    return `<li><strong>${e(name)}</strong>${description ? `<span class="desc">${e(description)}</span>` : ''}</li>`;
  }).join('\n');
  return `<h2>${e(heading)}</h2>\n<ul class="scopes">\n${items}\n</ul>`;
}

/** A scope's display name; `openid` without one of its own is worded in the page language. */
function scopeName(t: Translate, scope: ConsentScopeModel): string {
  return scope.name === 'openid' && scope.displayName === 'openid' ? t('consent.openid') : scope.displayName;
}

function grantItem(t: Translate, m: GrantsPageModel, g: GrantModel): string {
  const details: string[] = [];
  if (g.rememberedScopes.length > 0) {
    details.push(`${e(t('grants.remembered'))}: ${g.rememberedScopes.map((s) => e(s.name === OFFLINE_ACCESS_SCOPE ? t('consent.offlineAccess') : scopeName(t, s))).join(', ')}`);
  }
  if (g.refreshTokens > 0) details.push(e(t('grants.refreshTokens', { count: g.refreshTokens })));
  if (g.created) details.push(e(t('grants.created', { date: g.created.toISOString().slice(0, 10) })));
  return `<li class="grant" data-client-id="${e(g.clientId)}">
<div class="client">${g.clientLogoUri ? `<img src="${e(g.clientLogoUri)}" alt="">` : ''}<div><strong>${e(g.clientName)}</strong>
<ul>${details.map((d) => `<li>${d}</li>`).join('')}</ul></div></div>
<form method="post" action="${e(m.action)}">
${hidden(m)}
<button type="submit" name="revoke" value="${e(g.clientId)}" aria-label="${e(t('grants.revokeLabel', { client: g.clientName }))}">${t('grants.revoke')}</button>
</form>
</li>`;
}
