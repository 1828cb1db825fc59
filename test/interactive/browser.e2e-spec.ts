import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, webClient } from './interactive-fixtures';

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = existsSync(CHROMIUM);
if (!chromiumInstalled) process.stdout.write(`\n[tests] ${CHROMIUM} missing (apt-get install chromium): the real-browser suite is skipped\n`);
const describeIfChromium = chromiumInstalled ? describe : describe.skip;

/** One real headless Chromium run: type the credentials, allow consent, land on the client with a code. */
describeIfChromium('authorization code flow in a real browser (Chromium)', () => {
  let receiver: Server;
  let redirectUri: string;
  let server: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    // The client's redirect target: a local page that just says what it received.
    receiver = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Client</title><h1>Signed in at the client</h1>');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/signin-oidc`;
    server = await startTestAppWithFixtures(
      createInteractiveFixtures([webClient('browser.client', { requireConsent: true, redirectUris: [redirectUri] })]),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  it('should log in through the login page, allow consent and arrive at the redirect URI with a code, state and iss', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('hex');
    const url = new URL('/connect/authorize', server.baseUrl);
    url.search = new URLSearchParams({
      client_id: 'browser.client',
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile api1',
      state,
      nonce: randomBytes(16).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.toString());
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice');
    await Promise.all([page.waitForURL(/\/consent\?/), page.getByRole('button', { name: 'Sign in' }).click()]);

    await expectVisible(page.getByText('Your profile'));
    await Promise.all([
      page.waitForURL((current) => current.toString().startsWith(redirectUri)),
      page.getByRole('button', { name: 'Yes, allow' }).click(),
    ]);

    const landed = new URL(page.url());
    expect(landed.searchParams.get('code')).toMatch(/^[\w-]{40,}$/);
    expect(landed.searchParams.get('state')).toBe(state);
    expect(landed.searchParams.get('iss')).toBe(server.baseUrl);
    expect(await page.textContent('h1')).toBe('Signed in at the client');

    const cookies = await context.cookies(server.baseUrl);
    const session = cookies.find((c) => c.name === 'idsrv');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    // The code is real: the token endpoint redeems it.
    const response = await fetch(`${server.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('browser.client:secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: landed.searchParams.get('code') ?? '', redirect_uri: redirectUri, code_verifier: verifier }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id_token: expect.any(String), access_token: expect.any(String) });
    await context.close();
  }, 60_000);
});

async function expectVisible(locator: { isVisible(): Promise<boolean>; waitFor(options: { state: 'visible'; timeout: number }): Promise<void> }): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: 10_000 });
  expect(await locator.isVisible()).toBe(true);
}
