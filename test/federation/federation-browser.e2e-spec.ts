import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { translator, type UiLanguage } from '../../src/ui/i18n';
import { describeIfChromium, expectVisible, launchChromium, SCREENSHOTS, seriousViolations } from '../support/chromium';
import { freePort } from '../support/free-port';
import { startTestApp, type TestApp } from '../support/test-app';
import { provider, scratchDir, writeDownstreamConfig, writeUpstreamConfig } from './federation-fixtures';

/**
 * An external-provider sign-in as a person does it, in headless Chromium: on our login page the
 * "Sign in with …" button, then the upstream's own login and consent pages (a second instance of
 * this server), then back at the client with a code. Every page passes axe-core, in en and de,
 * and is photographed. Browsers share cookies between the ports of one host, so the upstream is
 * http://localhost:<port> and the downstream http://127.0.0.1:<port>: the two sessions stay apart.
 */
describeIfChromium('the external-provider browser suite')('an external-provider sign-in in a real browser (Chromium), axe-core, both languages', () => {
  const scratch = scratchDir();
  let receiver: Server;
  let redirectUri: string;
  let upstream: TestApp;
  let upstreamBase: string;
  let downstream: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // The relying party's redirect target: a page that says the browser is back at the client.
    receiver = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><html lang="en"><title>Shop</title><h1>Back at the shop</h1></html>');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/signin-oidc`;

    const downstreamPort = await freePort();
    const downstreamBase = `http://127.0.0.1:${downstreamPort}`;
    upstream = await startTestApp({
      CONFIG_FILE: writeUpstreamConfig(scratch.dir, [`${downstreamBase}/signin/corp`], [], { requireConsent: true }),
      UI_PRODUCT_NAME: 'Corporate SSO',
    });
    // The upstream listens on 127.0.0.1; it names itself after the Host it is reached by (localhost).
    upstreamBase = upstream.baseUrl.replace('127.0.0.1', 'localhost');
    downstream = await startTestApp({
      PORT: String(downstreamPort),
      CONFIG_FILE: writeDownstreamConfig(scratch.dir, 'downstream.json', [provider('corp', upstreamBase, { displayName: 'Corporate SSO' })], {
        clientName: 'Demo Shop', redirectUris: [redirectUri],
      }),
      UI_PRODUCT_NAME: 'ACME Identity',
    });
    expect(downstream.baseUrl).toBe(downstreamBase);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await downstream?.close();
    await upstream?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    scratch.remove();
  });

  interface Started {
    readonly config: client.Configuration;
    readonly verifier: string;
    readonly state: string;
    readonly nonce: string;
    readonly url: URL;
  }

  /** The relying party starts a code flow at the downstream server (PKCE, state, nonce). */
  async function startAtRelyingParty(): Promise<Started> {
    const config = await client.discovery(new URL(downstream.baseUrl), 'web', undefined, client.ClientSecretBasic('secret'), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
    });
    return { config, verifier, state, nonce, url };
  }

  describe.each([['en', 'en-US', 'alice'], ['de', 'de-DE', 'bob']] as const)('in %s', (language: UiLanguage, locale, username) => {
    const t = translator(language);
    const checked: string[] = [];

    /** Every page: which server shows it, its language and title, no serious axe violation, a screenshot. */
    async function inspect(page: Page, name: string, origin: string, title: string): Promise<void> {
      expect(new URL(page.url()).origin).toBe(origin);
      expect(await page.getAttribute('html', 'lang')).toBe(language);
      expect(await page.title()).toBe(title);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `${language}-${name}.png`), fullPage: true });
      checked.push(name);
    }

    /** A fresh browser (no cookies) at the downstream login page, which offers the provider's button; `name`: inspect it. */
    async function atDownstreamLogin(name?: string): Promise<{ page: Page; started: Started }> {
      const context = await browser.newContext({ locale, viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      const started = await startAtRelyingParty();
      await page.goto(started.url.href);
      expect(new URL(page.url()).pathname).toBe('/account/login');
      await expectVisible(page.locator('#client', { hasText: 'Demo Shop' }));
      await expectVisible(page.getByRole('link', { name: t('login.external', { provider: 'Corporate SSO' }) }));
      if (name) await inspect(page, name, downstream.baseUrl, `${t('login.title')} – ACME Identity`);
      return { page, started };
    }

    /** The button on our login page leads to the upstream's own login page, for the downstream server; `name`: inspect it. */
    async function toUpstreamLogin(page: Page, name?: string): Promise<void> {
      await Promise.all([
        page.waitForURL((url) => url.origin === upstreamBase && url.pathname === '/account/login'),
        page.getByRole('link', { name: t('login.external', { provider: 'Corporate SSO' }) }).click(),
      ]);
      await expectVisible(page.locator('#client', { hasText: 'Downstream identity server' }));
      if (name) await inspect(page, name, upstreamBase, `${t('login.title')} – Corporate SSO`);
    }

    it('sign in through the provider: its login and consent pages, back at the client with a code; the id token names the provider', async () => {
      const { page, started } = await atDownstreamLogin('federation-login');
      await toUpstreamLogin(page, 'federation-upstream-login');

      await page.getByLabel(t('login.username')).fill(username);
      await page.getByLabel(t('login.password')).fill(username);
      await Promise.all([
        page.waitForURL((url) => url.origin === upstreamBase && url.pathname === '/consent'),
        page.getByRole('button', { name: t('login.submit') }).click(),
      ]);
      await expectVisible(page.getByRole('heading', { name: t('consent.heading', { client: 'Downstream identity server' }) }));
      await inspect(page, 'federation-upstream-consent', upstreamBase, `${t('consent.title')}: Downstream identity server – Corporate SSO`);

      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${redirectUri}?`)),
        page.getByRole('button', { name: t('consent.allow') }).click(),
      ]);
      await expectVisible(page.getByRole('heading', { name: 'Back at the shop' }));
      const tokens = await client.authorizationCodeGrant(started.config, new URL(page.url()), {
        pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true,
      });
      const idToken = decodeJwt(tokens.id_token ?? '');
      expect(idToken).toMatchObject({ idp: 'corp', email: `${username}@corp.example` });
      // Signed in at both servers, each in its own cookies.
      const context = page.context();
      expect((await context.cookies(downstream.baseUrl)).some((c) => c.name === 'idsrv')).toBe(true);
      expect((await context.cookies(upstreamBase)).some((c) => c.name === 'idsrv')).toBe(true);
      await context.close();
    }, 30_000);

    it('sign in through the provider from our own login page, with no client waiting: the "signed in" page names the person', async () => {
      // A person who opens the login page directly (a bookmark): no returnUrl, the provider's button all the same.
      const context = await browser.newContext({ locale, viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${downstream.baseUrl}/account/login`);
      expect(await page.locator('#client').count()).toBe(0);
      await toUpstreamLogin(page);

      await page.getByLabel(t('login.username')).fill(username);
      await page.getByLabel(t('login.password')).fill(username);
      // The upstream remembers the consent given in the sign-in above, so the browser comes straight back.
      await Promise.all([
        page.waitForURL((url) => url.origin === downstream.baseUrl && url.pathname === '/signin/corp'),
        page.getByRole('button', { name: t('login.submit') }).click(),
      ]);
      const displayName = username === 'alice' ? 'Alice Upstream' : 'Bob Upstream';
      await expectVisible(page.getByRole('heading', { name: t('login.signedInTitle') }));
      await expectVisible(page.getByText(t('login.signedInMessage', { user: displayName })));
      await inspect(page, 'federation-signed-in', downstream.baseUrl, `${t('login.signedInTitle')} – ACME Identity`);
      expect((await context.cookies(downstream.baseUrl)).some((c) => c.name === 'idsrv')).toBe(true);
      await context.close();
    }, 30_000);

    it('Cancel on the provider\'s login page (access_denied) ends on our error page, whose "Back to sign in" leads to the login page', async () => {
      // Both login pages were inspected in the sign-in above.
      const { page } = await atDownstreamLogin();
      await toUpstreamLogin(page);

      await Promise.all([
        page.waitForURL((url) => url.origin === downstream.baseUrl && url.pathname === '/signin/corp'),
        page.getByRole('button', { name: t('login.cancel') }).click(),
      ]);
      expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');
      expect(await page.locator('#error').textContent()).toBe('access_denied');
      expect(await page.locator('#explanation').textContent()).toBe(t('error.explain.access_denied'));
      const back = page.getByRole('link', { name: t('error.backToSignIn') });
      await expectVisible(back);
      expect(await back.getAttribute('id')).toBe('back');
      await inspect(page, 'federation-cancelled', downstream.baseUrl, `${t('error.title')} – ACME Identity`);
      expect((await page.context().cookies(downstream.baseUrl)).some((c) => c.name === 'idsrv')).toBe(false);

      // The way back: the login page of the same request, with the client and the provider again.
      await Promise.all([page.waitForURL((url) => url.pathname === '/account/login'), back.click()]);
      await expectVisible(page.locator('#client', { hasText: 'Demo Shop' }));
      await expectVisible(page.getByRole('link', { name: t('login.external', { provider: 'Corporate SSO' }) }));
      expect(checked).toEqual(['federation-login', 'federation-upstream-login', 'federation-upstream-consent', 'federation-signed-in', 'federation-cancelled']);
      await page.context().close();
    }, 30_000);
  });
});
