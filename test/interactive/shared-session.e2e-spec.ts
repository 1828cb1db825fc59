import { createHash, randomBytes } from 'node:crypto';
import { createTestDatabase } from '../support/postgres';
import { FormBrowser, type Page } from '../support/form-browser';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI, type InteractiveFixtures } from './interactive-fixtures';

function authorizeUrl(baseUrl: string, verifier: string): string {
  const url = new URL('/connect/authorize', baseUrl);
  url.search = new URLSearchParams({
    client_id: 'web',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: 'xyz',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

function codeOf(page: Page): string {
  if (!page.redirectedTo) throw new Error(`expected a redirect to the client, got ${page.status} at ${page.url}`);
  return new URL(page.redirectedTo).searchParams.get('code') ?? '';
}

/** A browser for another instance carrying the same cookies (browsers scope cookies by host, not port). */
function sameCookiesFor(baseUrl: string, from: FormBrowser): FormBrowser {
  const browser = new FormBrowser(baseUrl);
  for (const [name, cookie] of from.cookies) browser.cookies.set(name, cookie);
  return browser;
}

async function redeem(baseUrl: string, code: string, verifier: string): Promise<Response> {
  return fetch(`${baseUrl}/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web:secret').toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
  });
}

/**
 * Sessions are server-side in the shared database and the cookie is protected with the shared
 * data-protection key ring: a login on one instance is valid on another, and after a restart.
 */
describeIfPostgres('authentication session across instances sharing PostgreSQL', () => {
  let fixtures: InteractiveFixtures;
  let database: { url: string; drop(): Promise<void> };
  let first: TestApp | undefined;
  let second: TestApp | undefined;
  let restarted: TestApp | undefined;

  beforeAll(async () => {
    fixtures = createInteractiveFixtures();
    database = await createTestDatabase();
    const env = { CONFIG_FILE: fixtures.configFile, DATABASE_URL: database.url, DATA_PROTECTION_KEY_STORE: 'database' };
    // One after the other, so the second instance finds the key ring the first created.
    first = await startTestApp(env);
    second = await startTestApp(env);
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await restarted?.close();
    await database?.drop();
    fixtures?.remove();
  });

  it('a login cookie from one instance should be honoured by the other, and its code redeemed anywhere', async () => {
    if (!first || !second) throw new Error('instances not started');
    const verifier = randomBytes(32).toString('base64url');
    const browserA = new FormBrowser(first.baseUrl);
    const login = await browserA.get(authorizeUrl(first.baseUrl, verifier));
    expect(login.url).toContain('/account/login');
    const codeA = codeOf(await browserA.submit(login, { username: 'alice', password: 'alice' }));
    expect((await redeem(second.baseUrl, codeA, verifier)).status).toBe(200);

    // Instance B: same cookie, no login page, straight back with a code.
    const browserB = sameCookiesFor(second.baseUrl, browserA);
    const otherVerifier = randomBytes(32).toString('base64url');
    const page = await browserB.get(authorizeUrl(second.baseUrl, otherVerifier));
    const codeB = codeOf(page);
    const response = await redeem(first.baseUrl, codeB, otherVerifier);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id_token: expect.any(String) });

    // A restart (a new instance on the same database) keeps the session too.
    await first.close();
    first = undefined;
    restarted = await startTestApp({ CONFIG_FILE: fixtures.configFile, DATABASE_URL: database.url, DATA_PROTECTION_KEY_STORE: 'database' });
    const browserC = sameCookiesFor(restarted.baseUrl, browserA);
    expect(codeOf(await browserC.get(authorizeUrl(restarted.baseUrl, verifier)))).toBeTruthy();
  }, 60_000);
});
