import { createHash, randomBytes } from 'node:crypto';
import { FormBrowser } from '../support/form-browser';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI } from './interactive-fixtures';

/**
 * Behind TLS (here: an https ISSUER_URI, as behind a TLS-terminating proxy) the authentication
 * and anti-forgery cookies are marked Secure, besides HttpOnly and SameSite=Lax.
 */
describe('cookies on an https issuer', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures(), { ISSUER_URI: 'https://id.example' });
  });

  afterAll(() => server?.close());

  it('login, when the issuer is https, should set the session and anti-forgery cookies Secure, HttpOnly and SameSite=Lax', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const query = new URLSearchParams({
      client_id: 'web', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', state: 's',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'), code_challenge_method: 'S256',
    });
    const login = await browser.get(`/connect/authorize?${query}`);
    expect(login.url).toContain('/account/login');
    const done = await browser.submit(login, { username: 'alice', password: 'alice' });
    const redirect = new URL(done.redirectedTo ?? 'http://x/');
    expect(redirect.searchParams.get('code')).toBeTruthy();
    expect(redirect.searchParams.get('iss')).toBe('https://id.example');

    for (const name of ['idsrv', 'idsrv.antiforgery']) {
      expect(browser.cookies.get(name)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'lax' });
    }
  });
});
