import { loadAppConfig } from '../config/app-config';
import { DefaultUi } from './default.ui';
import { buildSiteStylesheet, contrast } from './site-css';

const form = { action: '/account/login', antiforgeryToken: 'AF' };

describe('DefaultUi', () => {
  const ui = new DefaultUi(loadAppConfig({ UI_PRODUCT_NAME: 'ACME <Login>', UI_LOGO_URL: '/branding/logo.svg', UI_PRIMARY_COLOR: '#0a7' }));

  it('every page, should say where you are and in which language, with the brand and the server\'s stylesheet', () => {
    const html = ui.loginPage({ ...form, returnUrl: '', language: 'de' });
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<title>Anmelden – ACME &lt;Login&gt;</title>');
    expect(html).toContain('<img src="/branding/logo.svg" alt="">');
    expect(html).toContain(`<link rel="stylesheet" href="${buildSiteStylesheet('#00aa77').href}">`);
    expect(html).not.toMatch(/<script|style=|https?:\/\/(?!127)/);
  });

  it('the login page after a failed attempt, should keep the client and tie the error to both fields', () => {
    const html = ui.loginPage({
      ...form, returnUrl: '/connect/authorize/callback?x', username: 'alice', error: 'Invalid username or password.',
      clientName: 'Shop <1>', clientLogoUri: 'https://shop.example/logo.png',
    });
    expect(html).toContain('to continue to <strong>Shop &lt;1&gt;</strong>');
    expect(html).toContain('<img src="https://shop.example/logo.png" alt="">');
    expect(html).toContain('<p class="alert" role="alert" id="error">Invalid username or password.</p>');
    expect(html).toMatch(/<input id="username"[^>]* aria-invalid="true" aria-describedby="error"[^>]* value="alice">/);
    expect(html).toMatch(/<input id="password"[^>]* aria-invalid="true" aria-describedby="error">/);
  });

  it('the login page, should show one button per external provider under the form, after a separator', () => {
    const html = ui.loginPage({
      ...form, returnUrl: '', language: 'en',
      externalProviders: [
        { scheme: 'corp', displayName: 'Corporate SSO', url: '/account/external?scheme=corp&returnUrl=%2F' },
        { scheme: 'google', displayName: 'Google', url: '/account/external?scheme=google' },
      ],
    });
    const afterForm = html.slice(html.indexOf('</form>'));
    expect(afterForm).toContain('<p class="separator">or</p>');
    expect(afterForm).toContain('<a class="button block external" id="external-corp" href="/account/external?scheme=corp&amp;returnUrl=%2F" data-scheme="corp">Sign in with Corporate SSO</a>');
    expect(afterForm).toContain('>Sign in with Google</a>');
    expect(ui.loginPage({ ...form, returnUrl: '', language: 'de', externalProviders: [{ scheme: 'corp', displayName: 'Corp', url: '/x' }] }))
      .toContain('>Mit Corp anmelden</a>');
    expect(ui.loginPage({ ...form, returnUrl: '' })).not.toContain('separator');
  });

  it('the consent page, should name the client in its title and heading and show its logo', () => {
    const html = ui.consentPage({
      ...form, action: '/consent', returnUrl: '/connect/authorize/callback?x', clientName: 'Shop <1>', clientLogoUri: 'https://shop.example/logo.png',
      identityScopes: [{ name: 'openid', displayName: 'openid' }], apiScopes: [], allowRemember: true,
    });
    expect(html).toContain('<title>Allow access: Shop &lt;1&gt; – ACME &lt;Login&gt;</title>');
    expect(html).toContain('<h1>Shop &lt;1&gt; is requesting your permission</h1>');
    expect(html).toContain('<img src="https://shop.example/logo.png" alt="">');
    expect(html).toContain('name="decision" value="allow"');
    expect(html).toContain('name="decision" value="deny"');
  });

  it('the error page, should explain the code in words, show the request id and link back to a known client', () => {
    const html = ui.errorPage({
      error: 'invalid_scope', description: 'scope "x" is unknown', requestId: 'req-1', language: 'de',
      client: { name: 'Shop', uri: 'https://shop.example/' },
    });
    expect(html).toContain('Die Anwendung hat Berechtigungen verlangt');
    expect(html).toContain('<dd id="error">invalid_scope</dd>');
    expect(html).toContain('<dd id="request-id">req-1</dd>');
    expect(html).toContain('<a class="button primary" id="back-to-client" href="https://shop.example/">Zurück zu Shop</a>');
    expect(ui.errorPage({ error: 'server_error', client: { name: 'Shop' } })).not.toContain('back-to-client');
  });

  it('the signed-out page, should offer the way back, or say the window can be closed', () => {
    expect(ui.loggedOutPage({ postLogoutRedirectUri: 'https://shop.example/?state=s', clientName: 'Shop' }))
      .toContain('<a class="button primary" id="post-logout-redirect" href="https://shop.example/?state=s">Return to Shop</a>');
    expect(ui.loggedOutPage({ language: 'de' })).toContain('Sie können dieses Fenster schließen.');
  });

  it('the device confirmation page, should show client, code and scopes with allow and deny decisions', () => {
    const html = ui.deviceConfirmationPage({
      ...form, action: '/device?request=R', clientName: 'TV', clientLogoUri: 'https://tv.example/l.png', userCode: 'BCDF-GHJK',
      identityScopes: [{ name: 'openid', displayName: 'Your user identifier' }],
      apiScopes: [{ name: 'api1', displayName: 'API 1' }, { name: 'offline_access', displayName: 'Offline access' }],
      allowRemember: false,
    });
    expect(html).toContain('<h1>Connect TV?</h1>');
    expect(html).toContain('>BCDF-GHJK</p>');
    expect(html).toContain('<strong>API 1</strong>');
    expect(html).toContain('<strong>Offline access</strong>');
    expect(ui.deviceConfirmationPage({
      ...form, clientName: 'TV', userCode: 'BCDF-GHJK', identityScopes: [{ name: 'openid', displayName: 'openid' }], apiScopes: [], allowRemember: false, language: 'de',
    })).toContain('<strong>Ihre Benutzerkennung</strong>');
    expect(html).toContain('name="decision" value="allow"');
    expect(html).toContain('name="decision" value="deny"');
    expect(html).not.toContain('rememberConsent');
  });

  it('the grants page, should list each client with a revoke button naming it', () => {
    const html = ui.grantsPage({
      ...form, action: '/grants', grants: [{
        clientId: 'shop', clientName: 'Shop', rememberedScopes: [{ name: 'openid', displayName: 'Your user identifier' }],
        refreshTokens: 2, created: new Date('2026-01-02T03:04:05Z'),
      }],
    });
    expect(html).toContain('<button type="submit" name="revoke" value="shop" aria-label="Revoke access for Shop">Revoke access</button>');
    expect(html).toContain('Stays signed in (refresh tokens): 2');
    expect(ui.grantsPage({ ...form, action: '/grants', grants: [] })).toContain('No application has access to your account.');
  });
});

describe('/ui/site.css', () => {
  it('with any brand colour, should keep text on buttons and links readable (WCAG AA)', () => {
    for (const color of ['#2557d6', '#ffeb3b', '#00ff00', '#777777', '#000000', '#ffffff']) {
      const css = buildSiteStylesheet(color).css;
      const variable = (name: string) => css.match(new RegExp(`--${name}: (#[0-9a-f]{6});`))?.[1] ?? 'missing';
      const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
      expect(contrast(rgb(variable('on-primary')), rgb(variable('primary')))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(rgb(variable('link')), [255, 255, 255])).toBeGreaterThanOrEqual(4.5);
    }
  });
});
