import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { FormBrowser, type Page } from '../support/form-browser';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { waitFor } from '../support/free-port';
import { startTestApp, writeJson, type TestApp } from '../support/test-app';

/**
 * Outages answered cleanly (docs/endpoints.md, docs/deployment.md): with the database or Redis
 * stopped, every endpoint that needs it answers 503 `temporarily_unavailable` with Retry-After
 * (the error page at 503 on browser pages), never a 500; private_key_jwt is refused; endpoints
 * that do not need the dependency keep working; once it is back the same requests succeed
 * without restarting the server. The suite stops and starts its OWN PostgreSQL and redis-server.
 */

const REDIRECT_URI = 'https://app.example/cb';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const RETRY_AFTER = '5';
/**
 * A request needing a frozen database must end within the statement timeout (5 s) plus the rest of
 * its work; generous for a loaded machine, and still well under HTTP_REQUEST_TIMEOUT (30 s).
 */
const FROZEN_BOUND_MS = 12_000;
/** /health's budget is 3 s per indicator, run in parallel; the margin is for a loaded machine. */
const HEALTH_BOUND_MS = 4_500;
/** How long recovery may take after the dependency is back (bounded polling). */
const RECOVERY_TIMEOUT_MS = 20_000;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

/** Every reply of the suite (JSON requests and browser pages): none may be a 500. */
const replies: Array<{ what: string; status: number }> = [];

async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if ((response.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text) as Record<string, unknown>;
  replies.push({ what: `${init.method ?? 'GET'} ${new URL(url).pathname}`, status: response.status });
  return { status: response.status, headers: response.headers, text, body };
}

function form(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

function basic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

/** The outage answer of a JSON endpoint: 503, temporarily_unavailable, Retry-After, no stack. */
function expectOutageJson(reply: Reply, dependency: string, what: string): void {
  expect({ what, status: reply.status, error: reply.body.error }).toEqual({ what, status: 503, error: 'temporarily_unavailable' });
  expect(reply.headers.get('content-type')).toContain('application/json');
  expect(reply.headers.get('retry-after')).toBe(RETRY_AFTER);
  // Names what is down: `the database`, `Redis`.
  expect(String(reply.body.error_description).toLowerCase()).toContain(dependency);
  expect(reply.text).not.toMatch(/\bat \w|stack|Error:/);
}

/** The outage answer of a browser page: the error page at 503 with Retry-After. */
function expectOutagePage(page: { status: number; headers: Headers; body?: string; text?: string }, what: string): void {
  expect({ what, status: page.status }).toEqual({ what, status: 503 });
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.headers.get('retry-after')).toBe(RETRY_AFTER);
  expect(page.body ?? page.text).toContain('temporarily_unavailable');
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('outages: database and Redis stopped and started again', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let server: TestApp;
  let dir: string;
  let jwtKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwtKid: string;
  let tokenUrl: string;

  /** Browser pages are recorded here (JSON requests in request()). */
  const seen = (what: string, reply: { status: number }): void => { replies.push({ what, status: reply.status }); };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-outages-'));
    const pair = await generateKeyPair('ES256', { extractable: true });
    jwtKey = pair.privateKey;
    const publicJwk = await exportJWK(pair.publicKey);
    jwtKid = await calculateJwkThumbprint(publicJwk);
    const web = (clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      clientId, clientName: clientId, clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
      allowedGrantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT_URI],
      allowedScopes: ['openid', 'profile', 'api1'], allowOfflineAccess: true, ...extra,
    });
    const m2m = (clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      clientId, clientSecrets: [{ type: 'SharedSecret', value: 'secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], ...extra,
    });
    const configFile = writeJson(dir, 'identity.json', {
      clients: [
        web('web'),
        web('web.reference', { accessTokenType: 'reference' }),
        web('web.consent', { requireConsent: true }),
        web('web.par', { requirePushedAuthorization: true }),
        {
          clientId: 'tv', requireClientSecret: false, allowedGrantTypes: [DEVICE_GRANT, 'refresh_token'],
          allowedScopes: ['openid', 'profile', 'api1'], allowOfflineAccess: true,
        },
        m2m('m2m'),
        m2m('m2m.reference', { accessTokenType: 'reference' }),
        m2m('m2m.jwt', { clientSecrets: [{ type: 'JsonWebKey', value: { ...publicJwk, kid: jwtKid, alg: 'ES256', use: 'sig' } }] }),
      ],
      identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', displayName: 'Profile', userClaims: ['name'] }],
      apiScopes: [{ name: 'api1', displayName: 'API 1' }],
      apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
      users: [{ subjectId: '1', username: 'alice', password: 'alice', claims: { name: 'Alice' } }],
    });
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    server = await startTestApp({
      CONFIG_FILE: configFile,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      // every 503 logs one line by design; the suite does not need to read them
      LOG_LEVEL: 'error',
    });
    tokenUrl = `${server.baseUrl}/connect/token`;
  }, 60_000);

  // A failed test must not leave the next one without its dependencies.
  afterEach(async () => {
    postgres?.thaw(); // a timed-out test never reached its own finally
    if (postgres && !postgres.running) await postgres.start();
    if (redis && !redis.running) await redis.start();
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await Promise.all([postgres?.destroy(), redis?.destroy()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The suite's own check across every request it made: an outage is never a 500.
    expect(replies.length).toBeGreaterThan(50);
    expect(replies.filter((reply) => reply.status >= 500 && reply.status !== 503)).toEqual([]);
  }, 60_000);

  /** Signs in (when needed) and runs the code flow up to the redirect to the client; returns the code. */
  async function authorize(browser: FormBrowser, clientId: string, scope: string): Promise<{ page: Page; verifier: string }> {
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      client_id: clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope,
      state: randomUUID(), nonce: randomUUID(), code_challenge: challenge, code_challenge_method: 'S256',
    });
    let page = await browser.get(`/connect/authorize?${query.toString()}`);
    if (/name="password"/.test(page.body)) page = await browser.submit(page, { username: 'alice', password: 'alice' });
    return { page, verifier };
  }

  async function codeFor(browser: FormBrowser, clientId: string, scope = 'openid profile api1 offline_access'): Promise<{ code: string; verifier: string }> {
    const { page, verifier } = await authorize(browser, clientId, scope);
    if (!page.redirectedTo) throw new Error(`no code for ${clientId}: ${page.status} ${page.body.slice(0, 300)}`);
    const code = new URL(page.redirectedTo).searchParams.get('code');
    if (!code) throw new Error(`no code in ${page.redirectedTo}`);
    return { code, verifier };
  }

  function redeem(clientId: string, code: { code: string; verifier: string }): Promise<Reply> {
    return form(tokenUrl, { grant_type: 'authorization_code', code: code.code, code_verifier: code.verifier, redirect_uri: REDIRECT_URI }, basic(clientId, 'secret'));
  }

  async function tokensFor(browser: FormBrowser, clientId: string): Promise<Record<string, unknown>> {
    const reply = await redeem(clientId, await codeFor(browser, clientId));
    if (reply.status !== 200) throw new Error(`code redemption for ${clientId} failed: ${reply.status} ${reply.text}`);
    return reply.body;
  }

  function assertion(): Promise<string> {
    return new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', kid: jwtKid })
      .setIssuer('m2m.jwt').setSubject('m2m.jwt').setAudience(tokenUrl)
      .setIssuedAt().setExpirationTime('2m').sign(jwtKey);
  }

  function privateKeyJwt(signed: string): Promise<Reply> {
    return form(tokenUrl, {
      grant_type: 'client_credentials', scope: 'api1',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: signed,
    });
  }

  function clientCredentials(clientId: string): Promise<Reply> {
    return form(tokenUrl, { grant_type: 'client_credentials', scope: 'api1' }, basic(clientId, 'secret'));
  }

  function par(): Promise<Reply> {
    const { challenge } = pkce();
    return form(`${server.baseUrl}/connect/par`, {
      client_id: 'web.par', client_secret: 'secret', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid',
      code_challenge: challenge, code_challenge_method: 'S256', state: 'pushed',
    });
  }

  function introspect(token: string): Promise<Reply> {
    return form(`${server.baseUrl}/connect/introspect`, { token }, basic('urn:api1', 'api1-secret'));
  }

  function userinfo(token: string): Promise<Reply> {
    return request(`${server.baseUrl}/connect/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  }

  async function health(): Promise<{ status: number; body: { error?: Record<string, { status: string }> }; ms: number }> {
    const started = Date.now();
    const response = await fetch(`${server.baseUrl}/health`);
    return { status: response.status, body: (await response.json()) as { error?: Record<string, { status: string }> }, ms: Date.now() - started };
  }

  it('database stopped: every endpoint that needs it answers 503, the rest keep working; back without a restart', async () => {
    const browser = new FormBrowser(server.baseUrl);
    // Prepared while the database is up: a code, a refresh token, reference tokens, a device code.
    const code = await codeFor(browser, 'web');
    const webTokens = await tokensFor(browser, 'web');
    const refreshToken = webTokens.refresh_token as string;
    const jwtAccess = webTokens.access_token as string;
    const referenceAccess = (await tokensFor(browser, 'web.reference')).access_token as string;
    const machineReference = (await clientCredentials('m2m.reference')).body.access_token as string;
    const device = await form(`${server.baseUrl}/connect/deviceauthorization`, { client_id: 'tv', scope: 'openid api1' });
    expect(device.status).toBe(200);
    const deviceCode = device.body.device_code as string;
    const userCode = device.body.user_code as string;
    const idTokenHint = (await tokensFor(browser, 'web')).id_token as string;
    const consentBrowser = new FormBrowser(server.baseUrl);
    const consentPage = (await authorize(consentBrowser, 'web.consent', 'openid profile')).page;
    expect(consentPage.url).toContain('/consent');
    const devicePage = await browser.get(`/device?userCode=${encodeURIComponent(userCode)}`);
    expect(devicePage.status).toBe(200);
    const loginBrowser = new FormBrowser(server.baseUrl);
    const { challenge } = pkce();
    const loginPage = await loginBrowser.get(`/connect/authorize?${new URLSearchParams({
      client_id: 'web', redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256',
    }).toString()}`);
    expect(loginPage.url).toContain('/account/login');
    const logoutBrowser = new FormBrowser(server.baseUrl);
    await tokensFor(logoutBrowser, 'web');
    const logoutPage = await logoutBrowser.get('/account/logout');
    expect(logoutPage.status).toBe(200);

    await postgres.stop();

    const needsDatabase: Array<[string, () => Promise<Reply>]> = [
      ['token: authorization_code', () => redeem('web', code)],
      ['token: refresh_token', () => form(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic('web', 'secret'))],
      ['token: device_code', () => form(tokenUrl, { grant_type: DEVICE_GRANT, client_id: 'tv', device_code: deviceCode })],
      ['token: client_credentials with a reference token', () => clientCredentials('m2m.reference')],
      ['introspection of a reference token', () => introspect(machineReference)],
      ['revocation of a reference token', () => form(`${server.baseUrl}/connect/revocation`, { token: machineReference }, basic('m2m.reference', 'secret'))],
      ['introspection of a refresh token', () => introspect(refreshToken)],
      ['revocation of a refresh token', () => form(`${server.baseUrl}/connect/revocation`, { token: refreshToken }, basic('web', 'secret'))],
      ['userinfo with a reference token', () => userinfo(referenceAccess)],
      ['device authorization', () => form(`${server.baseUrl}/connect/deviceauthorization`, { client_id: 'tv', scope: 'openid api1' })],
    ];
    for (const [what, send] of needsDatabase) {
      const reply = await send();
      seen(what, reply);
      expectOutageJson(reply, 'database', what);
    }

    // Browser pages that need the database: the error page at 503.
    const authorizePage = (await authorize(browser, 'web', 'openid')).page; // issuing a code stores it
    seen('authorize', authorizePage);
    expectOutagePage(authorizePage, 'authorize (signed in, the code is stored)');
    const consentAnswer = await consentBrowser.submit(consentPage, { rememberConsent: 'true' }, { name: 'decision', value: 'allow' });
    seen('consent', consentAnswer);
    expectOutagePage(consentAnswer, 'consent: allow');
    const deviceAnswer = await browser.submit(devicePage);
    seen('device', deviceAnswer);
    expectOutagePage(deviceAnswer, 'device: the user code is looked up');
    const consentShown = await consentBrowser.get(consentPage.url);
    seen('consent page', consentShown);
    expectOutagePage(consentShown, 'consent: the page reads the request');
    const signIn = await loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' });
    seen('login', signIn);
    expectOutagePage(signIn, 'login: signing in');
    const endSession = await browser.get(`/connect/endsession?id_token_hint=${encodeURIComponent(idTokenHint)}`);
    seen('end session', endSession);
    expectOutagePage(endSession, 'end session with id_token_hint');
    const signOut = await logoutBrowser.submit(logoutPage, {}, { name: 'decision', value: 'logout' });
    seen('logout', signOut);
    expectOutagePage(signOut, 'logout: signing out');

    // What does not need the database keeps working: discovery, JWKS, JWTs for file clients.
    expect((await request(`${server.baseUrl}/.well-known/openid-configuration`)).status).toBe(200);
    const jwks = await request(`${server.baseUrl}/.well-known/openid-configuration/jwks`);
    expect([jwks.status, (jwks.body.keys as unknown[]).length > 0]).toEqual([200, true]);
    const jwt = await clientCredentials('m2m');
    seen('client_credentials (JWT, shared secret)', jwt);
    expect(jwt.status).toBe(200);
    // The replay cache is Redis, which is up: private_key_jwt needs no database.
    const signed = await privateKeyJwt(await assertion());
    seen('private_key_jwt', signed);
    expect(signed.status).toBe(200);
    expect((await par()).status).toBe(201);
    expect((await new FormBrowser(server.baseUrl).get('/account/login')).status).toBe(200);
    expect((await userinfo(jwtAccess)).status).toBe(200); // a JWT access token is checked by its signature

    // /health answers within its timeouts, with the database down.
    const during = await health();
    expect([during.status, during.body.error?.database?.status]).toEqual([503, 'down']);
    expect(during.ms).toBeLessThan(4_000);

    await postgres.start();

    // The very same requests succeed once the database is back, without restarting the server.
    await waitFor('the code to be redeemed after the database came back', async () => (await redeem('web', code)).status === 200, RECOVERY_TIMEOUT_MS, 200);
    const refreshed = await form(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic('web', 'secret'));
    expect(refreshed.status).toBe(200);
    expect(await form(tokenUrl, { grant_type: DEVICE_GRANT, client_id: 'tv', device_code: deviceCode })).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect((await clientCredentials('m2m.reference')).status).toBe(200);
    expect(await introspect(machineReference)).toMatchObject({ status: 200, body: { active: true } });
    expect(await userinfo(referenceAccess)).toMatchObject({ status: 200, body: { sub: '1' } });
    expect((await form(`${server.baseUrl}/connect/revocation`, { token: machineReference }, basic('m2m.reference', 'secret'))).status).toBe(200);
    expect(await introspect(machineReference)).toMatchObject({ status: 200, body: { active: false } });
    expect((await form(`${server.baseUrl}/connect/deviceauthorization`, { client_id: 'tv', scope: 'openid api1' })).status).toBe(200);
    expect((await authorize(browser, 'web', 'openid')).page.redirectedTo).toContain('code=');
    const deviceRetried = await browser.submit(devicePage);
    expect(deviceRetried.status).toBe(200);
    expect((await consentBrowser.get(consentPage.url)).status).toBe(200);
    expect((await loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' })).redirectedTo).toContain('code=');
    expect(await introspect(refreshToken)).toMatchObject({ status: 200 });
    expect((await browser.get(`/connect/endsession?id_token_hint=${encodeURIComponent(idTokenHint)}`)).status).toBe(200);
    expect((await logoutBrowser.submit(logoutPage, {}, { name: 'decision', value: 'logout' })).status).toBe(200);
    expect((await health()).status).toBe(200);
  }, 90_000);

  it('database frozen (SIGSTOP): requests that need it answer 503 within the statement timeout, /health within its limit; back without a restart', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const refreshToken = (await tokensFor(browser, 'web')).refresh_token as string;
    const machineReference = (await clientCredentials('m2m.reference')).body.access_token as string;
    const loginBrowser = new FormBrowser(server.baseUrl);
    const { challenge } = pkce();
    const loginPage = await loginBrowser.get(`/connect/authorize?${new URLSearchParams({
      client_id: 'web', redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256',
    }).toString()}`);
    expect(loginPage.url).toContain('/account/login');

    postgres.freeze();
    try {
      // Pooled connections hang on their next statement and new ones on their start-up: both are
      // bounded (docs/deployment.md), so every request ends, in parallel, well within HTTP_REQUEST_TIMEOUT.
      const timed = async <T extends { status: number }>(what: string, send: () => Promise<T>): Promise<T & { what: string; ms: number }> => {
        const started = Date.now();
        const reply = await send();
        seen(what, reply);
        return { ...reply, what, ms: Date.now() - started };
      };
      const [reference, refreshed, introspected, signIn, during] = await Promise.all([
        timed('token: client_credentials with a reference token', () => clientCredentials('m2m.reference')),
        timed('token: refresh_token', () => form(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic('web', 'secret'))),
        timed('introspection of a reference token', () => introspect(machineReference)),
        timed('login: signing in', () => loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' })),
        health(),
      ]);
      for (const reply of [reference, refreshed, introspected]) {
        expectOutageJson(reply, 'database', reply.what);
        expect({ what: reply.what, fast: reply.ms < FROZEN_BOUND_MS }).toEqual({ what: reply.what, fast: true });
      }
      expectOutagePage(signIn, 'login while the database is frozen');
      expect(signIn.ms).toBeLessThan(FROZEN_BOUND_MS);
      // /health honours its own 3 s budget even though the database never answers.
      expect([during.status, during.body.error?.database?.status]).toEqual([503, 'down']);
      expect(during.ms).toBeLessThan(HEALTH_BOUND_MS);
      // What does not need the database is not held up by it.
      const jwt = await timed('client_credentials (JWT)', () => clientCredentials('m2m'));
      expect(jwt.status).toBe(200);
    } finally {
      postgres.thaw();
    }

    await waitFor('a reference token to be issued after the database thawed', async () => (await clientCredentials('m2m.reference')).status === 200, RECOVERY_TIMEOUT_MS, 200);
    expect((await form(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }, basic('web', 'secret'))).status).toBe(200);
    expect(await introspect(machineReference)).toMatchObject({ status: 200, body: { active: true } });
    expect((await loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' })).redirectedTo).toContain('code=');
    expect((await health()).status).toBe(200);
  }, 90_000);

  it('Redis stopped: PAR and the device-flow limits answer 503, private_key_jwt is refused; back without a restart', async () => {
    const browser = new FormBrowser(server.baseUrl);
    await tokensFor(browser, 'web'); // signed in
    const pushed = await par();
    expect(pushed.status).toBe(201);
    const requestUri = pushed.body.request_uri as string;
    const device = await form(`${server.baseUrl}/connect/deviceauthorization`, { client_id: 'tv', scope: 'openid api1' });
    const deviceCode = device.body.device_code as string;
    const devicePage = await browser.get('/device');
    // Signed while Redis is down and refused then: the very same assertion works once it is back.
    const heldAssertion = await assertion();
    const loginBrowser = new FormBrowser(server.baseUrl);
    const loginPage = await loginBrowser.get('/account/login');

    await redis.stop();

    // private_key_jwt fails closed: refused (503) while the replay check cannot run.
    const refused = await privateKeyJwt(heldAssertion);
    seen('private_key_jwt without Redis', refused);
    expectOutageJson(refused, 'redis', 'private_key_jwt');
    expect(refused.body.access_token).toBeUndefined();

    const needsRedis: Array<[string, () => Promise<Reply>]> = [
      ['PAR', par],
      ['token: device_code (polling throttle)', () => form(tokenUrl, { grant_type: DEVICE_GRANT, client_id: 'tv', device_code: deviceCode })],
    ];
    for (const [what, send] of needsRedis) {
      const reply = await send();
      seen(what, reply);
      expectOutageJson(reply, 'redis', what);
    }
    const pushedAuthorize = await browser.get(`/connect/authorize?client_id=web.par&request_uri=${encodeURIComponent(requestUri)}`);
    seen('authorize with request_uri', pushedAuthorize);
    expectOutagePage(pushedAuthorize, 'authorize with request_uri');
    const wrongCode = await browser.submit(devicePage, { userCode: 'BCDF-GHJK' });
    seen('device: wrong user code', wrongCode);
    expectOutagePage(wrongCode, 'device: the failed-attempts limit');
    // Login throttling counts in Redis and fails closed: no password is checked uncounted.
    const signIn = await loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' });
    seen('login: password check (LOGIN_MAX_FAILURES)', signIn);
    expectOutagePage(signIn, 'login: the failed-password limit');

    // Shared-secret clients and the database do not need Redis.
    expect((await clientCredentials('m2m')).status).toBe(200);
    expect((await clientCredentials('m2m.reference')).status).toBe(200);

    const during = await health();
    expect([during.status, during.body.error?.redis?.status]).toEqual([503, 'down']);
    expect(during.ms).toBeLessThan(3_000);

    await redis.start();

    await waitFor('the held assertion to be accepted after Redis came back', async () => (await privateKeyJwt(heldAssertion)).status === 200, RECOVERY_TIMEOUT_MS, 200);
    // …and accepted once only: the replay check runs again.
    expect(await privateKeyJwt(heldAssertion)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const again = await par();
    expect(again.status).toBe(201);
    const resumed = await browser.get(`/connect/authorize?client_id=web.par&request_uri=${encodeURIComponent(again.body.request_uri as string)}`);
    expect(resumed.redirectedTo).toContain('code=');
    expect(await form(tokenUrl, { grant_type: DEVICE_GRANT, client_id: 'tv', device_code: deviceCode })).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect((await browser.submit(await browser.get('/device'), { userCode: 'BCDF-GHJK' })).status).toBe(400);
    expect((await loginBrowser.submit(loginPage, { username: 'alice', password: 'alice' })).status).toBe(200);
    expect((await health()).status).toBe(200);
  }, 60_000);

  it('database connections cut by the server (as in a failover): the next requests succeed or answer 503, never 500', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await tokensFor(browser, 'web');
    const reference = (await clientCredentials('m2m.reference')).body.access_token as string;
    // Terminate every connection of the server's pool (SQLSTATE 57P01 on each), like a failover.
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'identity-server'");
      expect(killed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    const after = await Promise.all([
      introspect(reference),
      form(tokenUrl, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }, basic('web', 'secret')),
      clientCredentials('m2m.reference'),
      form(`${server.baseUrl}/connect/deviceauthorization`, { client_id: 'tv', scope: 'openid api1' }),
    ]);
    for (const reply of after) {
      expect([200, 503]).toContain(reply.status);
      if (reply.status === 503) expect(reply.headers.get('retry-after')).toBe(RETRY_AFTER);
    }
    await waitFor('introspection after the connections were cut', async () => (await introspect(reference)).body.active === true, RECOVERY_TIMEOUT_MS, 200);
  }, 60_000);
});

describe('outages: SQLite locked by another writer past its busy timeout', () => {
  it('answers 503 temporarily_unavailable while the lock is held, and works once it is released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idsrv-outages-sqlite-'));
    const configFile = writeJson(dir, 'identity.json', {
      clients: [{
        clientId: 'm2m.reference', clientSecrets: [{ type: 'SharedSecret', value: 'secret' }], allowedGrantTypes: ['client_credentials'],
        allowedScopes: ['api1'], accessTokenType: 'reference',
      }],
      apiScopes: [{ name: 'api1' }],
      apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [] }],
      users: [],
    });
    const file = join(dir, 'identity.sqlite');
    const server = await startTestApp({ CONFIG_FILE: configFile, DATABASE_URL: `sqlite:${file}` });
    const other = new Database(file);
    try {
      const issue = (): Promise<Reply> => form(`${server.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, basic('m2m.reference', 'secret'));
      expect((await issue()).status).toBe(200);
      // Another process's long write transaction: storing the reference token waits out the busy timeout.
      other.exec('BEGIN EXCLUSIVE');
      const locked = await issue();
      expectOutageJson(locked, 'database', 'a reference token while SQLite is locked');
      other.exec('COMMIT');
      expect((await issue()).status).toBe(200);
    } finally {
      other.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
