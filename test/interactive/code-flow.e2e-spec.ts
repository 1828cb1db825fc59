import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Clock } from '../../src/common/clock';
import { FormBrowser, parseForms, type Page } from '../support/form-browser';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, REDIRECT_URI, webClient } from './interactive-fixtures';

/**
 * The authorization code flow end to end: openid-client v6 as the relying party, a cookie-jar
 * "browser" that fills in and submits the server's HTML forms.
 */
describe('authorization code flow (openid-client, HTML forms)', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures([
      webClient('web.no-pkce', { requirePkce: false }),
      webClient('web.logo', { requireConsent: true, clientName: 'Logo Shop', logoUri: 'https://shop.example/logo.svg' }),
    ]), { KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
  });

  afterAll(() => server?.close());

  afterEach(() => jest.restoreAllMocks());

  function rp(clientId: string): Promise<client.Configuration> {
    return client.discovery(new URL(server.baseUrl), clientId, undefined, client.ClientSecretBasic('secret'), {
      execute: [client.allowInsecureRequests],
    });
  }

  interface Started {
    readonly config: client.Configuration;
    readonly verifier: string;
    readonly state: string;
    readonly nonce: string;
    readonly url: URL;
  }

  async function start(clientId: string, extra: Record<string, string> = {}): Promise<Started> {
    const config = await rp(clientId);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email api1 offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    return { config, verifier, state, nonce, url };
  }

  async function logIn(browser: FormBrowser, page: Page, username = 'alice', password = username): Promise<Page> {
    expect(page.status).toBe(200);
    expect(page.url).toContain('/account/login');
    return browser.submit(page, { username, password });
  }

  function redirectParams(page: Page): URLSearchParams {
    if (!page.redirectedTo) throw new Error(`expected a redirect to the client, got ${page.status} at ${page.url}:\n${page.body.slice(0, 400)}`);
    expect(page.redirectedTo.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    return new URL(page.redirectedTo).searchParams;
  }

  async function redeem(started: Started, page: Page) {
    if (!page.redirectedTo) throw new Error('no redirect to the client');
    return client.authorizationCodeGrant(started.config, new URL(page.redirectedTo), {
      pkceCodeVerifier: started.verifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
      idTokenExpected: true,
    });
  }

  async function tokenRequest(clientId: string, body: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${server.baseUrl}/connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:secret`).toString('base64')}`,
      },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** Runs the flow up to the redirect with a code (login as alice, no consent). */
  async function codeFor(clientId: string, extra: Record<string, string> = {}): Promise<{ started: Started; page: Page; code: string }> {
    const started = await start(clientId, extra);
    const browser = new FormBrowser(server.baseUrl);
    const page = await logIn(browser, await browser.get(started.url.toString()));
    const code = redirectParams(page).get('code');
    if (!code) throw new Error('no code');
    return { started, page, code };
  }

  it('authorize, when the user logs in, should redirect with a code that the library redeems for validated tokens', async () => {
    const started = await start('web');
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.get(started.url.toString());
    const [form] = parseForms(loginPage.body);
    expect(Object.keys(form.fields)).toEqual(expect.arrayContaining(['username', 'password', 'returnUrl', '__RequestVerificationToken']));
    expect(form.fields.returnUrl.startsWith('/')).toBe(true);

    const redirected = await logIn(browser, loginPage);
    const params = redirectParams(redirected);
    expect(params.get('state')).toBe(started.state);
    expect(params.get('iss')).toBe(server.baseUrl);

    const session = browser.cookies.get('idsrv');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('lax');
    expect(session?.secure).toBe(false); // plain http here; see https-cookies.e2e-spec.ts

    const tokens = await redeem(started, redirected);
    const claims = tokens.claims();
    expect(claims?.sub).toBe('1');
    expect(claims?.nonce).toBe(started.nonce);
    expect(typeof claims?.sid).toBe('string');
    expect(typeof claims?.auth_time).toBe('number');
    expect(claims?.amr).toEqual(['pwd']);
    expect(typeof claims?.at_hash).toBe('string');
    // Without alwaysIncludeUserClaimsInIdToken, profile claims come from userinfo only.
    expect(claims?.name).toBeUndefined();
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'api1', 'offline_access']));

    const access = decodeJwt(tokens.access_token);
    expect(access.sub).toBe('1');
    expect(access.sid).toBe(claims?.sid);
    expect(access.aud).toBe('urn:api1');

    const userInfo = await client.fetchUserInfo(started.config, tokens.access_token, '1');
    expect(userInfo).toMatchObject({ sub: '1', name: 'Alice Smith', given_name: 'Alice', email: 'alice@example.com', email_verified: true });
  });

  it('authorize, when the browser already has a session, should issue a code without showing the login page (single sign-on)', async () => {
    const first = await start('web');
    const browser = new FormBrowser(server.baseUrl);
    const firstCode = await logIn(browser, await browser.get(first.url.toString()));
    const firstTokens = await redeem(first, firstCode);

    const second = await start('web.claims');
    const page = await browser.get(second.url.toString());
    expect(redirectParams(page).get('code')).toBeTruthy();
    const tokens = await redeem(second, page);
    expect(tokens.claims()?.sid).toBe(firstTokens.claims()?.sid);
    // alwaysIncludeUserClaimsInIdToken: the profile and email claims are in the id token.
    expect(tokens.claims()).toMatchObject({ name: 'Alice Smith', email: 'alice@example.com' });
  });

  it('authorize, when the client requires consent, should show the consent form and remember an allowed decision', async () => {
    const started = await start('web.consent');
    const browser = new FormBrowser(server.baseUrl);
    const consentPage = await logIn(browser, await browser.get(started.url.toString()), 'bob');
    expect(consentPage.url).toContain('/consent');
    const [form] = parseForms(consentPage.body);
    expect(form.buttons).toEqual(expect.arrayContaining([{ name: 'decision', value: 'allow' }, { name: 'decision', value: 'deny' }]));
    expect(form.fields.__RequestVerificationToken).toBeTruthy();
    expect(form.fields.rememberConsent).toBe('true');

    const allowed = await browser.submit(consentPage, {}, { name: 'decision', value: 'allow' });
    const tokens = await redeem(started, allowed);
    expect(tokens.claims()?.sub).toBe('2');

    // Remembered: the next request goes straight back with a code.
    const again = await start('web.consent');
    expect(redirectParams(await browser.get(again.url.toString())).get('code')).toBeTruthy();

    // prompt=consent asks again whatever was remembered.
    const prompted = await start('web.consent', { prompt: 'consent' });
    const promptedPage = await browser.get(prompted.url.toString());
    expect(promptedPage.url).toContain('/consent');
  });

  it('consent, when the user denies, should return access_denied with state and iss to the client', async () => {
    const started = await start('web.consent');
    const browser = new FormBrowser(server.baseUrl);
    const consentPage = await logIn(browser, await browser.get(started.url.toString()));
    const denied = await browser.submit(consentPage, {}, { name: 'decision', value: 'deny' });
    const params = redirectParams(denied);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(started.state);
    expect(params.get('iss')).toBe(server.baseUrl);
    expect(params.get('code')).toBeNull();
  });

  it('pushed authorization request, when used once, should run the flow; a reused request_uri shows the error page', async () => {
    const config = await rp('web.par');
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(url.searchParams.get('redirect_uri')).toBeNull();

    const browser = new FormBrowser(server.baseUrl);
    const redirected = await logIn(browser, await browser.get(url.toString()));
    const tokens = await client.authorizationCodeGrant(config, new URL(redirected.redirectedTo ?? ''), {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe('1');

    const reused = await browser.get(url.toString());
    expect(reused.status).toBe(400);
    expect(reused.redirectedTo).toBeUndefined();
    expect(reused.headers.get('location')).toBeNull();
    expect(reused.body).toContain('invalid_request_uri');
  });

  it('authorize, when the client requires PAR and the request is sent through the browser, should return invalid_request to the client', async () => {
    const started = await start('web.par');
    const page = await new FormBrowser(server.baseUrl).get(started.url.toString());
    const params = redirectParams(page);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('state')).toBe(started.state);
  });

  it('par, when the client authentication fails, should answer 401 invalid_client', async () => {
    const response = await fetch(`${server.baseUrl}/connect/par`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'web.par', client_secret: 'wrong', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' }).toString(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('par, when the pushed request is invalid, should answer RFC 6749 JSON errors instead of redirecting', async () => {
    const push = async (body: Record<string, string>) => {
      const response = await fetch(`${server.baseUrl}/connect/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web.par:secret').toString('base64')}` },
        body: new URLSearchParams(body).toString(),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const base = { response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };
    expect(await push({ ...base, redirect_uri: 'https://evil.example/cb' })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await push({ ...base, code_challenge_method: 'plain' })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect(await push({ ...base, request_uri: 'urn:ietf:params:oauth:request_uri:x' })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    const ok = await push(base);
    expect(ok).toMatchObject({ status: 201, json: { request_uri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:/), expires_in: 60 } });
    // Bound to the client that pushed it: another client cannot use it.
    const stolen = await fetch(`${server.baseUrl}/connect/authorize?${new URLSearchParams({ client_id: 'web', request_uri: String(ok.json.request_uri) })}`, { redirect: 'manual' });
    expect(stolen.status).toBe(400);
    expect(stolen.headers.get('location')).toBeNull();
  });

  it('authorize, when sent as a POST form, should behave like GET', async () => {
    const started = await start('web');
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.post('/connect/authorize', Object.fromEntries(started.url.searchParams));
    expect(page.url).toContain('/account/login');
    const tokens = await redeem(started, await logIn(browser, page));
    expect(tokens.claims()?.sub).toBe('1');
  });

  it('token, when a code is redeemed a second time, should answer invalid_grant and revoke the tokens issued from it', async () => {
    const { started, page } = await codeFor('web');
    const tokens = await redeem(started, page);
    const code = new URL(page.redirectedTo ?? '').searchParams.get('code') ?? '';
    // The refresh token works before the replay (and rotates into a new one of the same grant).
    const rotated = await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(rotated.status).toBe(200);
    expect(rotated.json.refresh_token).toEqual(expect.any(String));

    const replay = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe('invalid_grant');

    const refresh = await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: String(rotated.json.refresh_token) });
    expect(refresh.status).toBe(400);
    expect(refresh.json.error).toBe('invalid_grant');
  });

  it('token, when a redeemed code is replayed after it expired, should still revoke the tokens issued from it', async () => {
    const { started, page, code } = await codeFor('web');
    const tokens = await redeem(started, page);
    const clock = server.app.get(Clock);
    jest.spyOn(clock, 'now').mockReturnValue(new Date(clock.now().getTime() + 301_000));
    const replay = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(replay.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('already been used') });
    jest.restoreAllMocks();
    const refresh = await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    expect(refresh.json.error).toBe('invalid_grant');
  });

  it('token, when a code of a reference-token client is replayed, should make its access token inactive', async () => {
    const { started, page, code } = await codeFor('web.reference');
    const tokens = await redeem(started, page);
    const introspect = async (): Promise<unknown> => {
      const response = await fetch(`${server.baseUrl}/connect/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('urn%3Aapi1:api1-secret').toString('base64')}` },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      });
      return ((await response.json()) as { active: unknown }).active;
    };
    expect(await introspect()).toBe(true);
    await tokenRequest('web.reference', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(await introspect()).toBe(false);
  });

  it('token, when the code_verifier is wrong, should answer invalid_grant', async () => {
    const { code } = await codeFor('web');
    const response = await tokenRequest('web', {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: client.randomPKCECodeVerifier(),
    });
    expect(response.status).toBe(400);
    expect(response.json.error).toBe('invalid_grant');
  });

  it('token, when the code_verifier is missing or the redirect_uri differs, should answer invalid_grant', async () => {
    const { code } = await codeFor('web');
    const missing = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(missing.json.error).toBe('invalid_grant');
    const other = await codeFor('web');
    const wrongUri = await tokenRequest('web', {
      grant_type: 'authorization_code', code: other.code, redirect_uri: 'http://127.0.0.1:5002/other', code_verifier: other.started.verifier,
    });
    expect(wrongUri.json.error).toBe('invalid_grant');
  });

  // RFC 9700 §2.1.1 / §4.8.2: PKCE downgrade. A verifier for a code issued without a challenge
  // means the request was tampered with (an attacker injecting a code obtained without PKCE).
  it('token, when a code issued without code_challenge is redeemed with a code_verifier, should answer invalid_grant', async () => {
    const started = await start('web.no-pkce');
    const url = new URL(started.url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const browser = new FormBrowser(server.baseUrl);
    const code = redirectParams(await logIn(browser, await browser.get(url.toString()))).get('code');
    if (!code) throw new Error('no code');
    const downgraded = await tokenRequest('web.no-pkce', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(downgraded.status).toBe(400);
    expect(downgraded.json).toEqual({ error: 'invalid_grant', error_description: 'code_verifier was sent but the authorization request had no code_challenge' });

    // The refusal is about the verifier: the same client's next code, redeemed without one, works.
    const next = redirectParams(await browser.get(url.toString())).get('code');
    if (!next) throw new Error('no code');
    const plain = await tokenRequest('web.no-pkce', { grant_type: 'authorization_code', code: next, redirect_uri: REDIRECT_URI });
    expect(plain.status).toBe(200);
  });

  it('token, when a code issued with code_challenge is redeemed without code_verifier, should answer invalid_grant and spend the code', async () => {
    const { code, started } = await codeFor('web');
    const missing = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: 'invalid_grant', error_description: 'code_verifier is missing' });
    // The code is single-use even when the request failed: the verifier cannot be added afterwards.
    const retried = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(retried.json.error).toBe('invalid_grant');
  });

  it('token, when the code belongs to another client, should answer invalid_grant', async () => {
    const { code, started } = await codeFor('web');
    const response = await tokenRequest('web.claims', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(response.json.error).toBe('invalid_grant');
  });

  it('token, when the code has expired, should answer invalid_grant', async () => {
    const { code, started } = await codeFor('web');
    const clock = server.app.get(Clock);
    const later = new Date(clock.now().getTime() + 301_000);
    jest.spyOn(clock, 'now').mockReturnValue(later);
    const response = await tokenRequest('web', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: started.verifier });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('expired') });
  });

  it('authorize, when code_challenge_method is plain or missing, should return invalid_request to the client', async () => {
    for (const method of ['plain', undefined]) {
      const started = await start('web');
      const url = new URL(started.url);
      url.searchParams.set('code_challenge', started.verifier);
      if (method) url.searchParams.set('code_challenge_method', method);
      else url.searchParams.delete('code_challenge_method');
      const params = redirectParams(await new FormBrowser(server.baseUrl).get(url.toString()));
      expect(params.get('error')).toBe('invalid_request');
      expect(params.get('error_description')).toContain('S256');
      expect(params.get('state')).toBe(started.state);
      expect(params.get('iss')).toBe(server.baseUrl);
    }
  });

  it('authorize, when the client requires PKCE and sends no challenge, should return invalid_request to the client', async () => {
    const started = await start('web');
    const url = new URL(started.url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    expect(redirectParams(await new FormBrowser(server.baseUrl).get(url.toString())).get('error')).toBe('invalid_request');
  });

  it('authorize, when the redirect_uri is not registered or the client is unknown, should show the error page and never redirect', async () => {
    const started = await start('web');
    const badUri = new URL(started.url);
    badUri.searchParams.set('redirect_uri', 'https://evil.example/cb');
    const unknownClient = new URL(started.url);
    unknownClient.searchParams.set('client_id', 'nobody');
    for (const url of [badUri, unknownClient]) {
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).not.toContain('evil.example');
    }
  });

  it('authorize, when a parameter is repeated, should show the error page', async () => {
    const started = await start('web');
    const url = new URL(started.url);
    url.searchParams.append('scope', 'openid');
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('authorize, when response_type or scope is invalid, should return the error to the client', async () => {
    const started = await start('web');
    const badType = new URL(started.url);
    badType.searchParams.set('response_type', 'token');
    expect(redirectParams(await new FormBrowser(server.baseUrl).get(badType.toString())).get('error')).toBe('unsupported_response_type');
    const badScope = new URL(started.url);
    badScope.searchParams.set('scope', 'openid api2');
    expect(redirectParams(await new FormBrowser(server.baseUrl).get(badScope.toString())).get('error')).toBe('invalid_scope');
  });

  it('authorize, with prompt=none and no session, should return login_required without showing a page', async () => {
    const started = await start('web', { prompt: 'none' });
    const params = redirectParams(await new FormBrowser(server.baseUrl).get(started.url.toString()));
    expect(params.get('error')).toBe('login_required');
    expect(params.get('state')).toBe(started.state);
    expect(params.get('iss')).toBe(server.baseUrl);
  });

  it('authorize, with prompt=none and a session but consent needed, should return consent_required', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const first = await start('web');
    await logIn(browser, await browser.get(first.url.toString()));
    const started = await start('web.consent', { prompt: 'none' });
    expect(redirectParams(await browser.get(started.url.toString())).get('error')).toBe('consent_required');
    // prompt=none with a session and nothing to ask: a code, silently.
    const silent = await start('web', { prompt: 'none' });
    expect(redirectParams(await browser.get(silent.url.toString())).get('code')).toBeTruthy();
  });

  it('authorize, with prompt=login or max_age=0, should ask for the password again even with a session', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const first = await start('web');
    const firstTokens = await redeem(first, await logIn(browser, await browser.get(first.url.toString())));
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Array<Record<string, string>>) {
      const started = await start('web', extra);
      const page = await browser.get(started.url.toString());
      expect(page.url).toContain('/account/login');
      const tokens = await redeem(started, await logIn(browser, page));
      expect(tokens.claims()?.auth_time).toBeGreaterThanOrEqual(firstTokens.claims()?.auth_time ?? Infinity);
    }
  });

  it('authorize, with login_hint, should prefill the username on the login page', async () => {
    const started = await start('web', { login_hint: 'bob' });
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.get(started.url.toString());
    expect(page.url).toContain('/account/login');
    const [form] = parseForms(page.body);
    expect(form.fields.username).toBe('bob');
    const tokens = await redeem(started, await browser.submit(page, { password: 'bob' }));
    expect(tokens.claims()?.sub).toBe('2');
  });

  it('authorize, with response_mode=form_post, should answer with an auto-submitting form to the redirect_uri', async () => {
    const started = await start('web', { response_mode: 'form_post' });
    const browser = new FormBrowser(server.baseUrl);
    const page = await logIn(browser, await browser.get(started.url.toString()));
    expect(page.status).toBe(200);
    const [form] = parseForms(page.body);
    expect(form.action).toBe(REDIRECT_URI);
    expect(form.method).toBe('post');
    expect(form.fields).toMatchObject({ state: started.state, iss: server.baseUrl, code: expect.any(String) });
    expectFormPostPageRules(page);
    // The code is the one the client redeems.
    const tokens = await client.authorizationCodeGrant(started.config, new URL(`${REDIRECT_URI}?${new URLSearchParams(form.fields)}`), {
      pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe('1');
  });

  it('authorize, with response_mode=form_post and an error (prompt=none, nobody signed in), should post the error under the same page rules', async () => {
    const started = await start('web', { response_mode: 'form_post', prompt: 'none' });
    const page = await new FormBrowser(server.baseUrl).get(started.url.toString());
    expect(page.status).toBe(200);
    const [form] = parseForms(page.body);
    expect(form.action).toBe(REDIRECT_URI);
    expect(form.fields).toMatchObject({ error: 'login_required', state: started.state, iss: server.baseUrl });
    expect(form.fields.code).toBeUndefined();
    expectFormPostPageRules(page);
  });

  /**
   * The form_post page's headers and markup: one inline script, allowed by its SHA-256 hash in the
   * CSP (computed here from the script in the body), no inline event handler, nothing else loaded,
   * not cached, no referrer, a submit button for browsers without script. It may be framed (a
   * hidden iframe renews tokens silently): no frame-ancestors, no X-Frame-Options.
   */
  function expectFormPostPageRules(page: Page): void {
    const scripts = [...page.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(1);
    expect(page.body.match(/<script/g)).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0], 'utf8').digest('base64');
    expect(page.headers.get('content-security-policy')).toBe(`default-src 'none'; script-src 'sha256-${hash}'; base-uri 'none'`);
    expect(page.body).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page.body).toMatch(/<noscript>[\s\S]*<button type="submit">[\s\S]*<\/noscript>/);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBeNull();
  }

  it('id token, when the client allows only ES256, should be signed with ES256', async () => {
    const { started, page } = await codeFor('web.es256');
    const tokens = await redeem(started, page);
    expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('ES256');
  });

  it('userinfo, should accept reference tokens and the form-body token, and answer RFC 6750 errors', async () => {
    const { started, page } = await codeFor('web.reference');
    const tokens = await redeem(started, page);
    const viaBody = await fetch(`${server.baseUrl}/connect/userinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }).toString(),
    });
    expect(viaBody.status).toBe(200);
    expect(await viaBody.json()).toMatchObject({ sub: '1', name: 'Alice Smith' });

    const none = await fetch(`${server.baseUrl}/connect/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const bad = await fetch(`${server.baseUrl}/connect/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await bad.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('userinfo, when the access token lacks openid, should answer 403 insufficient_scope', async () => {
    const started = await start('web', { scope: 'api1' });
    const browser = new FormBrowser(server.baseUrl);
    const redirected = await logIn(browser, await browser.get(started.url.toString()));
    const tokens = await client.authorizationCodeGrant(started.config, new URL(redirected.redirectedTo ?? ''), {
      pkceCodeVerifier: started.verifier, expectedState: started.state,
    });
    expect(tokens.id_token).toBeUndefined();
    const userInfo = await fetch(`${server.baseUrl}/connect/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userInfo.status).toBe(403);
    expect(userInfo.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('login, when the user presses cancel, should return access_denied with state and iss to the client and start no session', async () => {
    const started = await start('web');
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.get(started.url.toString());
    expect(parseForms(loginPage.body)[0].buttons).toEqual(expect.arrayContaining([{ name: 'button', value: 'cancel' }]));
    const cancelled = await browser.submit(loginPage, {}, { name: 'button', value: 'cancel' });
    const params = redirectParams(cancelled);
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(started.state);
    expect(params.get('iss')).toBe(server.baseUrl);
    expect(params.get('code')).toBeNull();
    expect(browser.cookies.has('idsrv')).toBe(false);
  });

  it('login and consent, when the client has a name and a logoUri, should show both on each page', async () => {
    const started = await start('web.logo');
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.get(started.url.toString());
    expect(loginPage.body).toContain('to continue to <strong>Logo Shop</strong>');
    expect(loginPage.body).toContain('<img src="https://shop.example/logo.svg" alt="">');
    const consentPage = await logIn(browser, loginPage);
    expect(consentPage.url).toContain('/consent');
    expect(consentPage.body).toContain('<title>Allow access: Logo Shop – Identity</title>');
    expect(consentPage.body).toContain('<img src="https://shop.example/logo.svg" alt="">');
  });

  it('login, when the password is wrong, should show the form again with an error and no session', async () => {
    const started = await start('web');
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.submit(await browser.get(started.url.toString()), { username: 'alice', password: 'wrong' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Invalid username or password');
    // The page keeps saying which client the sign-in is for.
    expect(page.body).toContain('to continue to <strong>Web web</strong>');
    expect(browser.cookies.has('idsrv')).toBe(false);
  });

  it('login, when the anti-forgery token is missing or from another browser, should refuse the form', async () => {
    const started = await start('web');
    const victim = new FormBrowser(server.baseUrl);
    const page = await victim.get(started.url.toString());
    const [form] = parseForms(page.body);
    const missing = await victim.post('/account/login', { ...form.fields, __RequestVerificationToken: '', username: 'alice', password: 'alice' });
    expect(missing.status).toBe(400);
    const attacker = new FormBrowser(server.baseUrl);
    await attacker.get(started.url.toString());
    const forged = await attacker.post('/account/login', { ...form.fields, username: 'alice', password: 'alice' });
    expect(forged.status).toBe(400);
    expect(attacker.cookies.has('idsrv')).toBe(false);
  });

  it('login, when returnUrl is not local, should not redirect there', async () => {
    const browser = new FormBrowser(server.baseUrl);
    for (const returnUrl of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const page = await browser.get(`/account/login?returnUrl=${encodeURIComponent(returnUrl)}`);
      expect(parseForms(page.body)[0].fields.returnUrl).toBe('');
      const [form] = parseForms(page.body);
      const after = await browser.post('/account/login', { ...form.fields, returnUrl, username: 'alice', password: 'alice' });
      expect(after.redirectedTo).toBeUndefined();
      expect(after.status).toBe(200);
      expect(after.body).toContain('signed in');
    }
  });
});
