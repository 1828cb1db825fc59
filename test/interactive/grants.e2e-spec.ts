import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { FormBrowser, type Page } from '../support/form-browser';
import { createInteractiveFixtures } from './device-fixtures';
import { authorizeDevice, obtainDeviceTokens, postForm } from './device-helpers';

/** `/grants` over HTTP: who may see and revoke what, and the headers of the pages. */
describe('grants page (/grants)', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures());
  });
  afterAll(() => server?.close());

  const refresh = (clientId: string, refreshToken: string) =>
    postForm(server.baseUrl, '/connect/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });

  async function signedIn(username: string): Promise<{ browser: FormBrowser; grants: Page }> {
    const browser = new FormBrowser(server.baseUrl);
    const login = await browser.get('/grants');
    expect(new URL(login.url).pathname).toBe('/account/login');
    const grants = await browser.submit(login, { username, password: username });
    expect(new URL(grants.url).pathname).toBe('/grants');
    return { browser, grants };
  }

  it('not signed in, should send the browser to the login page and back to /grants', async () => {
    const response = await fetch(`${server.baseUrl}/grants`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/account/login?returnUrl=%2Fgrants');
    const { grants } = await signedIn('alice');
    expect(grants.status).toBe(200);
  });

  it('should list each client with its remembered consent and refresh tokens, and revoke only the signed-in user\'s', async () => {
    const alice = await signedIn('alice');
    const aliceTv = await obtainDeviceTokens(server.baseUrl, 'tv', 'openid api1 offline_access', alice.browser);
    const aliceConsent = await obtainDeviceTokens(server.baseUrl, 'tv.consent', 'api1 offline_access', alice.browser);
    const bob = await signedIn('bob');
    const bobTv = await obtainDeviceTokens(server.baseUrl, 'tv', 'api1 offline_access', bob.browser);

    const page = await alice.browser.get('/grants');
    expect(page.body).toContain('Device tv');
    expect(page.body).toContain('Device tv.consent');
    expect(page.body).toContain('name="revoke" value="tv"');
    expect(page.body).toMatch(/Remembered permission: API 1, Offline access/);

    // Bob revokes "tv" for himself: Alice's refresh token for tv still works.
    await bob.browser.submit(await bob.browser.get('/grants'), {}, { name: 'revoke', value: 'tv' });
    expect(await refresh('tv', String(bobTv.refresh_token))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const stillWorks = await refresh('tv', String(aliceTv.refresh_token));
    expect(stillWorks.status).toBe(200);

    // Alice revokes tv.consent: its refresh token is refused, the consent forgotten; tv is untouched.
    const revoked = await alice.browser.submit(page, {}, { name: 'revoke', value: 'tv.consent' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toContain('Access for Device tv.consent was revoked.');
    expect(revoked.body).not.toContain('value="tv.consent"');
    expect(revoked.body).toContain('value="tv"');
    expect(await refresh('tv.consent', String(aliceConsent.refresh_token))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh('tv', String(stillWorks.body.refresh_token))).toMatchObject({ status: 200 });
    const next = await alice.browser.submit(await alice.browser.get((await authorizeDevice(server.baseUrl, 'tv.consent', 'api1')).verification_uri_complete), {});
    expect(next.body).toContain('name="rememberConsent"');
  });

  it('a revocation without the anti-forgery token, should be refused and revoke nothing', async () => {
    const alice = await signedIn('alice');
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.reuse', 'api1 offline_access', alice.browser);
    const forged = await alice.browser.post('/grants', { revoke: 'tv.reuse' });
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('<dd id="error">invalid_request</dd>');
    expect(await refresh('tv.reuse', String(tokens.refresh_token))).toMatchObject({ status: 200 });
  });

  it('a revocation after the session ended, should ask to sign in and revoke nothing', async () => {
    const alice = await signedIn('alice');
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.reuse', 'api1 offline_access', alice.browser);
    const page = await alice.browser.get('/grants');
    alice.browser.cookies.delete('idsrv');
    const answer = await alice.browser.submit(page, {}, { name: 'revoke', value: 'tv.reuse' });
    expect(new URL(answer.url).pathname).toBe('/account/login');
    expect(await refresh('tv.reuse', String(tokens.refresh_token))).toMatchObject({ status: 200 });
  });

  it('pages and the error page, should carry the security headers; the stylesheet is cacheable', async () => {
    const { browser, grants } = await signedIn('alice');
    const error = await fetch(`${server.baseUrl}/connect/authorize?client_id=a&client_id=b`, { headers: { 'accept-language': 'de' } });
    expect(error.status).toBe(400);
    expect(await error.text()).toContain('<html lang="de">');
    // Every other page: device code entry and confirmation, logout, signed out, a message page, login.
    const deviceConfirmation = await browser.submit(await browser.get((await authorizeDevice(server.baseUrl, 'tv', 'api1')).verification_uri_complete), {});
    expect(deviceConfirmation.body).toContain('name="decision" value="allow"');
    const logout = await browser.get('/account/logout');
    expect(logout.body).toContain('name="decision" value="logout"');
    const signedOut = await browser.submit(logout, {}, { name: 'decision', value: 'logout' });
    expect(signedOut.body).toContain('id="close-window"');
    const login = await browser.get('/account/login');
    const cancelled = await browser.submit(login, {}, { name: 'button', value: 'cancel' });
    expect(cancelled.body).toContain('<h1>Sign-in cancelled</h1>');
    const pages = [grants, deviceConfirmation, logout, signedOut, login, cancelled, await browser.get('/device')];
    for (const page of pages) expect(page.headers.get('content-type')).toContain('text/html');
    for (const headers of [...pages.map((p) => p.headers), error.headers]) {
      expect(headers.get('content-security-policy')).toMatch(/script-src 'none'.*frame-ancestors 'none'/);
      expect(headers.get('x-frame-options')).toBe('DENY');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('cache-control')).toBe('no-store');
    }
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(grants.body)?.[1] ?? '';
    expect(href).toMatch(/^\/ui\/site\.css\?v=[\w-]+$/);
    const css = await fetch(`${server.baseUrl}${href}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await css.text()).toContain('--primary: #2557d6;');
    const again = await fetch(`${server.baseUrl}/ui/site.css`, { headers: { 'if-none-match': css.headers.get('etag') ?? '' } });
    expect(again.status).toBe(304);
  });
});

describe('page language with UI_DEFAULT_LANGUAGE=de', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures(), { UI_DEFAULT_LANGUAGE: 'de', UI_PRODUCT_NAME: 'ACME' });
  });
  afterAll(() => server?.close());

  const page = async (path: string, acceptLanguage?: string) => {
    const response = await fetch(`${server.baseUrl}${path}`, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
    expect(response.headers.get('vary')).toContain('accept-language');
    return response.text();
  };

  it('should speak German without Accept-Language or with only other languages, and English when the browser prefers it', async () => {
    expect(await page('/account/login')).toContain('<html lang="de"><head><meta charset="utf-8"><title>Anmelden – ACME</title>');
    expect(await page('/account/login', 'fr-FR, it;q=0.8')).toContain('<html lang="de">');
    expect(await page('/account/login', 'fr, en;q=0.7, de;q=0.3')).toContain('<title>Sign in – ACME</title>');
    expect(await page('/device', 'en-GB')).toContain('<label for="userCode">Code</label>');
    const error = await page('/connect/authorize?client_id=a&client_id=b');
    expect(error).toContain('<html lang="de">');
    expect(error).toContain('Die Anfrage war unvollständig');
  });
});
