import { Injectable } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Clock } from '../../src/common/clock';
import { DefaultUi } from '../../src/ui/default.ui';
import { translator, type UiLanguage } from '../../src/ui/i18n';
import { Ui, type LoginPageModel } from '../../src/ui/ui';
import { RunningFakeClock } from '../support/fakes/fake-clock';
import { describeIfChromium, expectVisible, launchChromium, SCREENSHOTS, seriousViolations } from '../support/chromium';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, webClient } from './interactive-fixtures';
import { authorizeDevice, DEVICE_GRANT, poll, postForm } from './device-helpers';

/**
 * The login page with an external provider button, as a deployment with `externalProviders`
 * shows it (providers are configured elsewhere; here the Ui seam fills the model).
 */
@Injectable()
class WithExternalProviderUi extends DefaultUi {
  override loginPage(m: LoginPageModel): string {
    return super.loginPage({ ...m, externalProviders: [{ scheme: 'corp', displayName: 'Corporate SSO', url: '/account/external?scheme=corp' }] });
  }
}

describeIfChromium('the page suite')('default pages in a real browser (Chromium): a person\'s way through, axe-core, both languages', () => {
  let receiver: Server;
  let clientBase: string;
  /** What the client received through form_post, in order. */
  const posted: { path: string; fields: Record<string, string> }[] = [];
  /** The authorization request the client's /app page loads in its hidden iframe. */
  let silentRenewUrl = 'about:blank';
  let server: TestApp;
  let browser: Browser;
  // Real time, jumped ahead where the device would wait its polling interval.
  const clock = new RunningFakeClock();

  beforeAll(async () => {
    // The client: a redirect target, a signed-out landing page and the client's logo.
    receiver = createServer((request, response) => {
      if (request.method === 'POST') {
        // A form_post answer: recorded with its fields, then a page like any redirect target's.
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          posted.push({ path: request.url ?? '', fields: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) });
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          response.end('<!doctype html><html lang="en"><title>Shop</title><h1>Back at the shop</h1></html>');
        });
        return;
      }
      if (request.url === '/app') {
        // The client's own page, renewing its tokens silently in a hidden iframe.
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><html lang="en"><title>Shop</title><h1>Shop</h1><iframe hidden title="renew" src="${escapeAttribute(silentRenewUrl)}"></iframe></html>`);
        return;
      }
      if (request.url === '/logo.svg') {
        response.writeHead(200, { 'content-type': 'image/svg+xml' });
        response.end('<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><rect width="48" height="48" rx="10" fill="#e4572e"/></svg>');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><html lang="en"><title>Shop</title><h1>Back at the shop</h1></html>');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    clientBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    server = await startTestAppWithFixtures(createInteractiveFixtures([
      webClient('pages.shop', {
        clientName: 'Demo Shop',
        logoUri: `${clientBase}/logo.svg`,
        requireConsent: true,
        redirectUris: [`${clientBase}/signin-oidc`],
        postLogoutRedirectUris: [`${clientBase}/`],
      }),
      webClient('pages.formpost', { redirectUris: [`${clientBase}/signin-oidc`] }),
      {
        clientId: 'pages.tv', clientName: 'Living-room TV', logoUri: `${clientBase}/logo.svg`, requireClientSecret: false,
        allowedGrantTypes: [DEVICE_GRANT], allowedScopes: ['openid', 'profile', 'api1'],
      },
    ]), { UI_PRODUCT_NAME: 'ACME Identity', UI_PRIMARY_COLOR: '#0b6e4f' }, { providers: [{ provide: Ui, useClass: WithExternalProviderUi }, { provide: Clock, useValue: clock }] });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  describe.each([['en', 'en-US'], ['de', 'de-DE']] as const)('in %s', (language: UiLanguage, locale) => {
    const t = translator(language);
    let page: Page;
    const checked: string[] = [];

    /** Every page: its language, its title, no serious axe violation, a screenshot. */
    async function inspect(name: string, title: string): Promise<void> {
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect(await page.title()).toBe(`${title} – ACME Identity`);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `${language}-${name}.png`), fullPage: true });
      checked.push(name);
    }

    beforeAll(async () => {
      const context = await browser.newContext({ locale, viewport: { width: 1000, height: 800 } });
      page = await context.newPage();
    });
    afterAll(async () => {
      await page?.context().close();
    });

    it('sign in with a wrong then the right password, consent, and the code reaches the client', async () => {
      const verifier = randomBytes(32).toString('base64url');
      const url = new URL('/connect/authorize', server.baseUrl);
      url.search = new URLSearchParams({
        client_id: 'pages.shop', response_type: 'code', redirect_uri: `${clientBase}/signin-oidc`,
        scope: 'openid profile api1 offline_access', state: 'st', nonce: 'n',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
      }).toString();
      await page.goto(url.toString());
      await expectVisible(page.locator('#client', { hasText: 'Demo Shop' }));
      await expectVisible(page.getByRole('link', { name: t('login.external', { provider: 'Corporate SSO' }) }));
      // The stylesheet came from the server, under the pages' CSP: the brand colour is on the button.
      expect(await page.getByRole('button', { name: t('login.submit') }).evaluate((b) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(b).backgroundColor)).toBe('rgb(11, 110, 79)');
      await inspect('login', t('login.title'));
      // On a phone: no sideways scrolling.
      await page.setViewportSize({ width: 360, height: 740 });
      expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await page.screenshot({ path: join(SCREENSHOTS, `${language}-login-phone.png`), fullPage: true });
      await page.setViewportSize({ width: 1000, height: 800 });

      await page.getByLabel(t('login.username')).fill('alice');
      await page.getByLabel(t('login.password')).fill('wrong');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('login.submit') }).click()]);
      await expectVisible(page.getByRole('alert'));
      expect(await page.getByRole('alert').textContent()).toBe(t('login.invalidCredentials'));
      // The context survives the failure, and the error is tied to the fields.
      await expectVisible(page.locator('#client', { hasText: 'Demo Shop' }));
      expect(await page.getByLabel(t('login.password')).getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel(t('login.password')).getAttribute('aria-describedby')).toBe('error');
      await inspect('login-error', t('login.title'));

      await page.getByLabel(t('login.password')).fill('alice');
      await Promise.all([page.waitForURL(/\/consent\?/), page.getByRole('button', { name: t('login.submit') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('consent.heading', { client: 'Demo Shop' }) }));
      await expectVisible(page.getByText('API 1'));
      await inspect('consent', `${t('consent.title')}: Demo Shop`);

      await Promise.all([
        page.waitForURL((current) => current.toString().startsWith(`${clientBase}/signin-oidc`)),
        page.getByRole('button', { name: t('consent.allow') }).click(),
      ]);
      const code = new URL(page.url()).searchParams.get('code') ?? '';
      const tokens = await postForm(server.baseUrl, '/connect/token', {
        grant_type: 'authorization_code', code, redirect_uri: `${clientBase}/signin-oidc`, code_verifier: verifier,
      }, { authorization: `Basic ${Buffer.from('pages.shop:secret').toString('base64')}` });
      expect(tokens.status).toBe(200);
      refreshTokens.set(language, String(tokens.body.refresh_token));
    }, 30_000);

    it('connect a device: enter the code, confirm client, scopes and code, and the device gets tokens', async () => {
      const authorization = await authorizeDevice(server.baseUrl, 'pages.tv', 'openid api1');
      await page.goto(`${server.baseUrl}/device`);
      await inspect('device-code', t('device.title'));
      await page.getByLabel(t('device.code')).fill('bcdf-bcdf');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('device.submit') }).click()]);
      expect(await page.getByRole('alert').textContent()).toBe(t('device.invalidCode'));
      expect(await page.getByLabel(t('device.code')).getAttribute('aria-invalid')).toBe('true');
      await inspect('device-code-error', t('device.title'));

      await page.getByLabel(t('device.code')).fill(authorization.user_code.toLowerCase());
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('device.submit') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('deviceConfirm.heading', { client: 'Living-room TV' }) }));
      expect(await page.locator('#user-code').textContent()).toBe(authorization.user_code);
      await expectVisible(page.getByText('API 1'));
      await inspect('device-confirm', `${t('deviceConfirm.title')}: Living-room TV`);
      expect(await poll(server.baseUrl, 'pages.tv', authorization.device_code)).toMatchObject({ body: { error: 'authorization_pending' } });

      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('deviceConfirm.allow') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('device.connectedTitle') }));
      await inspect('device-connected', t('device.connectedTitle'));
      clock.advance(6_000); // the device waits its polling interval
      expect(await poll(server.baseUrl, 'pages.tv', authorization.device_code)).toMatchObject({ status: 200 });
    }, 30_000);

    it('deny a device: after the code and the confirmation page, "No, deny" ends on the denied page and the device is refused', async () => {
      const authorization = await authorizeDevice(server.baseUrl, 'pages.tv', 'openid api1');
      await page.goto(`${server.baseUrl}/device`);
      await page.getByLabel(t('device.code')).fill(authorization.user_code);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('device.submit') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('deviceConfirm.heading', { client: 'Living-room TV' }) }));
      expect(await page.locator('#user-code').textContent()).toBe(authorization.user_code);

      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('deviceConfirm.deny') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('device.deniedTitle') }));
      await expectVisible(page.getByText(t('device.deniedMessage', { client: 'Living-room TV' })));
      await inspect('device-denied', t('device.deniedTitle'));
      expect(await poll(server.baseUrl, 'pages.tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
    }, 30_000);

    it('the grants page lists what the shop holds; revoking it makes its refresh token refused', async () => {
      await page.goto(`${server.baseUrl}/grants`);
      const shop = page.locator('li.grant', { hasText: 'Demo Shop' });
      await expectVisible(shop);
      await inspect('grants', t('grants.title'));

      await Promise.all([page.waitForLoadState('load'), shop.getByRole('button', { name: t('grants.revokeLabel', { client: 'Demo Shop' }) }).click()]);
      await expectVisible(page.getByRole('status'));
      expect(await page.locator('li.grant', { hasText: 'Demo Shop' }).count()).toBe(0);
      await inspect('grants-revoked', t('grants.title'));

      const refreshed = await postForm(server.baseUrl, '/connect/token', { grant_type: 'refresh_token', refresh_token: refreshTokens.get(language) ?? '' },
        { authorization: `Basic ${Buffer.from('pages.shop:secret').toString('base64')}` });
      expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }, 30_000);

    it('an error explains itself, shows the request id and leads back to the known client', async () => {
      const query = new URLSearchParams({ client_id: 'pages.shop', response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: 'openid' });
      const response = await page.goto(`${server.baseUrl}/connect/authorize?${query}`);
      expect(response?.status()).toBe(400);
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(await page.locator('#explanation').textContent()).toBe(t('error.explain.invalid_request'));
      expect(await page.locator('#request-id').textContent()).toMatch(/^[0-9a-f-]{36}$/);
      expect(await page.getByRole('link', { name: t('error.backTo', { client: 'Demo Shop' }) }).getAttribute('href')).toBe(`${clientBase}/`);
      await inspect('error', t('error.title'));
    }, 30_000);

    it('sign out, then the signed-out page offers the way back; signed out, /grants asks to sign in', async () => {
      await page.goto(`${server.baseUrl}/connect/endsession?${new URLSearchParams({ client_id: 'pages.shop', post_logout_redirect_uri: `${clientBase}/` })}`);
      await inspect('logout', t('logout.title'));
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('logout.submit') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('loggedOut.heading') }));
      expect(await page.getByRole('link', { name: t('loggedOut.returnTo', { client: 'Demo Shop' }) }).getAttribute('href')).toBe(`${clientBase}/`);
      await inspect('signed-out', t('loggedOut.title'));

      await page.goto(`${server.baseUrl}/grants`);
      expect(new URL(page.url()).pathname).toBe('/account/login');
      expect(new URL(page.url()).searchParams.get('returnUrl')).toBe('/grants');
    }, 30_000);

    it('someone who granted nothing sees an empty /grants; signing out with no client says the window can be closed', async () => {
      // At the login page /grants sent us to: Bob has never allowed any application.
      await page.goto(`${server.baseUrl}/grants`);
      await page.getByLabel(t('login.username')).fill('bob');
      await page.getByLabel(t('login.password')).fill('bob');
      await Promise.all([page.waitForURL((url) => url.pathname === '/grants'), page.getByRole('button', { name: t('login.submit') }).click()]);
      await expectVisible(page.locator('#no-grants', { hasText: t('grants.none') }));
      expect(await page.locator('li.grant').count()).toBe(0);
      await inspect('grants-empty', t('grants.title'));

      // A sign-out that no client asked for: no way back to offer.
      await page.goto(`${server.baseUrl}/connect/endsession`);
      expect(new URL(page.url()).pathname).toBe('/account/logout');
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('logout.submit') }).click()]);
      await expectVisible(page.getByRole('heading', { name: t('loggedOut.heading') }));
      await expectVisible(page.locator('#close-window', { hasText: t('loggedOut.close') }));
      expect(await page.getByRole('link', { name: t('loggedOut.returnTo', { client: t('loggedOut.theApplication') }) }).count()).toBe(0);
      expect(await page.locator('#post-logout-redirect').count()).toBe(0);
      await inspect('signed-out-close', t('loggedOut.title'));
    }, 30_000);

    it('Cancel on a login page no client asked for ends on the "sign-in cancelled" page, with no session', async () => {
      await page.goto(`${server.baseUrl}/account/login`);
      await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: t('login.cancel') }).click()]);
      expect(new URL(page.url()).pathname).toBe('/account/login');
      await expectVisible(page.getByRole('heading', { name: t('login.cancelledTitle') }));
      await expectVisible(page.getByText(t('login.cancelledMessage')));
      await inspect('sign-in-cancelled', t('login.cancelledTitle'));
      expect((await page.context().cookies(server.baseUrl)).some((c) => c.name === 'idsrv')).toBe(false);
      expect(checked).toEqual(['login', 'login-error', 'consent', 'device-code', 'device-code-error', 'device-confirm', 'device-connected',
        'device-denied', 'grants', 'grants-revoked', 'error', 'logout', 'signed-out', 'grants-empty', 'signed-out-close', 'sign-in-cancelled']);
    }, 30_000);
  });

  const refreshTokens = new Map<string, string>();

  describe('response_mode=form_post: the page submits itself under its CSP (script allowed by hash only)', () => {
    const redirectUri = (): string => `${clientBase}/signin-oidc`;
    const secret = { authorization: `Basic ${Buffer.from('pages.formpost:secret').toString('base64')}` };

    /** An authorization request of pages.formpost with PKCE, answered by form_post. */
    function authorizeUrl(state: string, extra: Record<string, string> = {}): { url: string; verifier: string } {
      const verifier = randomBytes(32).toString('base64url');
      const url = new URL('/connect/authorize', server.baseUrl);
      url.search = new URLSearchParams({
        client_id: 'pages.formpost', response_type: 'code', response_mode: 'form_post', redirect_uri: redirectUri(),
        scope: 'openid api1', state, nonce: 'n', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
        ...extra,
      }).toString();
      return { url: url.toString(), verifier };
    }

    /** The posts the client received after the first `before`, awaited up to 10 s for `count` of them. */
    async function postsSince(before: number, count: number): Promise<{ path: string; fields: Record<string, string> }[]> {
      const deadline = Date.now() + 10_000;
      while (posted.length < before + count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return posted.slice(before);
    }

    /** Every form_post page the browser received, with its CSP; every CSP complaint in the console. */
    function watch(page: Page): { formPostPages: { url: string; csp: string | undefined; xfo: string | undefined }[]; cspErrors: string[] } {
      const seen = { formPostPages: [] as { url: string; csp: string | undefined; xfo: string | undefined }[], cspErrors: [] as string[] };
      page.on('response', (response) => {
        const headers = response.headers();
        if (new URL(response.url()).pathname.startsWith('/connect/authorize') && response.status() === 200 && /text\/html/.test(headers['content-type'] ?? '')) {
          seen.formPostPages.push({ url: response.url(), csp: headers['content-security-policy'], xfo: headers['x-frame-options'] });
        }
      });
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) seen.cspErrors.push(message.text());
      });
      return seen;
    }

    const formPostCsp = /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]{43}='; base-uri 'none'$/;

    it('after the sign-in, the form_post page posts the code to the client by itself, and the code is redeemed', async () => {
      const context = await browser.newContext({ locale: 'en-US' });
      const page = await context.newPage();
      const seen = watch(page);
      const before = posted.length;
      const { url, verifier } = authorizeUrl('fp-1');
      await page.goto(url);
      await page.getByLabel('Username').fill('alice');
      await page.getByLabel('Password').fill('alice');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const signedIn = await postsSince(before, 1);
      // A script the CSP refuses (a wrong hash) shows here first, by the browser's own words.
      expect(seen.cspErrors).toEqual([]);
      expect(signedIn).toHaveLength(1);
      await expectVisible(page.getByRole('heading', { name: 'Back at the shop' }));
      expect(page.url()).toBe(redirectUri());
      const [post] = signedIn;
      expect(post.path).toBe('/signin-oidc');
      expect(post.fields).toMatchObject({ state: 'fp-1', iss: server.baseUrl, code: expect.any(String) });
      // It came through the form_post page, under its CSP: no script but the hashed one.
      expect(seen.formPostPages).toHaveLength(1);
      expect(seen.formPostPages[0].csp).toMatch(formPostCsp);
      const tokens = await postForm(server.baseUrl, '/connect/token', {
        grant_type: 'authorization_code', code: post.fields.code, redirect_uri: redirectUri(), code_verifier: verifier,
      }, secret);
      expect(tokens.status).toBe(200);

      // Silent renew: the client's page loads prompt=none in a hidden iframe; the framed form_post page posts a new code.
      silentRenewUrl = authorizeUrl('fp-silent', { prompt: 'none' }).url;
      await page.goto(`${clientBase}/app`);
      const renewed = await postsSince(before + 1, 1);
      expect(seen.cspErrors).toEqual([]);
      expect(renewed).toHaveLength(1);
      expect(renewed[0].path).toBe('/signin-oidc');
      expect(renewed[0].fields).toMatchObject({ state: 'fp-silent', iss: server.baseUrl, code: expect.any(String) });
      expect(renewed[0].fields.error).toBeUndefined();
      expect(page.url()).toBe(`${clientBase}/app`);
      expect(seen.formPostPages).toHaveLength(2);
      expect(seen.formPostPages[1].xfo).toBeUndefined();
      expect(seen.formPostPages[1].csp).toMatch(formPostCsp);
      await context.close();
    }, 30_000);

    it('with scripts off, the form_post page shows a button that posts the answer (here login_required for prompt=none)', async () => {
      const context = await browser.newContext({ locale: 'en-US', javaScriptEnabled: false });
      const page = await context.newPage();
      const before = posted.length;
      await page.goto(authorizeUrl('fp-noscript', { prompt: 'none' }).url);
      expect(posted.length).toBe(before);
      await page.screenshot({ path: join(SCREENSHOTS, 'form-post-noscript.png'), fullPage: true });
      await Promise.all([
        page.waitForURL((current) => current.toString() === redirectUri()),
        page.getByRole('button', { name: 'Continue' }).click(),
      ]);
      const posts = await postsSince(before, 1);
      expect(posts).toHaveLength(1);
      expect(posts[0]).toMatchObject({ path: '/signin-oidc', fields: { error: 'login_required', state: 'fp-noscript', iss: server.baseUrl } });
      await context.close();
    }, 30_000);
  });
});

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
