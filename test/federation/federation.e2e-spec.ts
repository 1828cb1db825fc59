import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { FormBrowser, type Page } from '../support/form-browser';
import { freePort } from '../support/free-port';
import { startTestApp, type TestApp } from '../support/test-app';
import { UserLinkStore } from '../../src/stores/user-link.store';
import { translator } from '../../src/ui/i18n';
import {
  provider, REDIRECT_URI, scratchDir, TamperingProxy, writeDownstreamConfig, writeUpstreamConfig, writeUpstreamKey,
} from './federation-fixtures';

/** The relying party's page after a logout (its postLogoutRedirectUris at the downstream servers). */
const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:5002/signed-out';

/** fetch as a browser set to German sends it. */
const german: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('accept-language', 'de-DE,de;q=0.9');
  return fetch(input, { ...init, headers });
};

/**
 * Federation end to end: a second instance of this server is the upstream OpenID provider. The
 * relying party (openid-client) signs in at the downstream server, whose login page offers the
 * upstream; the user signs in on the upstream's own login page. `corp` talks to the upstream
 * directly; `corp-proxy` through a proxy that can tamper with the id token. With TEST_REDIS_URL
 * two downstream instances share Redis and a key ring, and a sign-in started on A finishes on B.
 */
describe('federation with an external OpenID provider (a second server upstream)', () => {
  const scratch = scratchDir();
  const redisUrl = process.env.TEST_REDIS_URL;
  let upstream: TestApp;
  let downstreamA: TestApp;
  let downstreamB: TestApp | undefined;
  let proxy: TamperingProxy;

  beforeAll(async () => {
    const [portA, portB, proxyPort, closedPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const a = `http://127.0.0.1:${portA}`;
    const b = `http://127.0.0.1:${portB}`;
    const key = writeUpstreamKey(scratch.dir);
    upstream = await startTestApp({
      CONFIG_FILE: writeUpstreamConfig(scratch.dir, [`${a}/signin/corp`, `${a}/signin/corp-proxy`, `${a}/signin/no-provisioning`, `${b}/signin/corp`], [`${a}/account/logout`]),
      SIGNING_CREDENTIALS: `RS256=${key.pemPath}`,
    });
    proxy = new TamperingProxy(Number(new URL(upstream.baseUrl).port), key);
    await proxy.listen(proxyPort);
    const providers = [
      provider('corp', upstream.baseUrl),
      provider('corp-proxy', `http://127.0.0.1:${proxyPort}`),
      provider('unreachable', `http://127.0.0.1:${closedPort}`),
      provider('no-provisioning', upstream.baseUrl, { autoProvision: false }),
      provider('switched-off', upstream.baseUrl, { enabled: false }),
    ];
    // A and B share the key ring (a file) and, with Redis, the distributed cache.
    const shared = {
      DATA_PROTECTION_KEY_STORE: 'file',
      DATA_PROTECTION_KEY_PATH: `${scratch.dir}/dp-keys`,
      ...(redisUrl && { REDIS_URL: redisUrl }),
      // its own key prefix and channels in the shared Redis, whatever else runs alongside
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-federation-${randomBytes(6).toString('hex')}`,
    };
    const web = { postLogoutRedirectUris: [POST_LOGOUT_REDIRECT_URI] };
    downstreamA = await startTestApp({ PORT: String(portA), CONFIG_FILE: writeDownstreamConfig(scratch.dir, 'a.json', providers, web), ...shared });
    if (redisUrl) {
      downstreamB = await startTestApp({ PORT: String(portB), CONFIG_FILE: writeDownstreamConfig(scratch.dir, 'b.json', providers, web), ...shared });
    }
  });

  afterAll(async () => {
    await downstreamB?.close();
    await downstreamA?.close();
    await proxy?.close();
    await upstream?.close();
    scratch.remove();
  });

  beforeEach(() => { proxy.tampering = { kind: 'none' }; });

  interface Started {
    readonly config: client.Configuration;
    readonly verifier: string;
    readonly state: string;
    readonly nonce: string;
    readonly url: URL;
  }

  /** The relying party starts a code flow at the downstream server. */
  async function startAtRelyingParty(server: TestApp = downstreamA): Promise<Started> {
    const config = await client.discovery(new URL(server.baseUrl), 'web', undefined, client.ClientSecretBasic('secret'), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce,
    });
    return { config, verifier, state, nonce, url };
  }

  /** What a browser goes through up to the upstream's answer: the login page's button, the upstream's login page. */
  interface AtCallback {
    readonly started: Started;
    readonly down: FormBrowser;
    /** the same browser on the upstream's origin (its cookies) */
    readonly up: FormBrowser;
    /** the upstream's redirect to /signin/{scheme} */
    readonly callbackUrl: string;
    /** the state parameter the downstream sent upstream */
    readonly upstreamState: string;
    /** the authorization request the downstream sent upstream */
    readonly upstreamRequest: URL;
  }

  async function signInUpstream(scheme: string, username = 'alice', button?: { name: string; value: string }): Promise<AtCallback> {
    const started = await startAtRelyingParty();
    const down = new FormBrowser(downstreamA.baseUrl);
    const login = await down.get(started.url.href);
    expect(login.url).toContain('/account/login');
    const link = new RegExp(`id="external-${scheme}" href="([^"]+)"`).exec(login.body);
    if (!link) throw new Error(`no button for ${scheme} on the login page:\n${login.body}`);
    const challenge = await down.get(link[1].replace(/&amp;/g, '&'));
    if (!challenge.redirectedTo) throw new Error(`the challenge did not leave the downstream server: ${challenge.status}\n${challenge.body.slice(0, 400)}`);
    const authorize = new URL(challenge.redirectedTo);
    const upstreamState = authorize.searchParams.get('state') ?? '';
    const up = new FormBrowser(authorize.origin);
    const upstreamLogin = await up.get(authorize.href);
    expect(upstreamLogin.url).toContain('/account/login');
    const answered = button
      ? await up.submit(upstreamLogin, {}, button)
      : await up.submit(upstreamLogin, { username, password: username });
    if (!answered.redirectedTo) throw new Error(`the upstream did not send the browser back: ${answered.status}\n${answered.body.slice(0, 400)}`);
    return { started, down, up, callbackUrl: answered.redirectedTo, upstreamState, upstreamRequest: authorize };
  }

  let lastTokens: { access_token: string; refresh_token?: string; id_token?: string } | undefined;

  async function redeem(started: Started, page: Page): Promise<Record<string, unknown>> {
    if (!page.redirectedTo) throw new Error(`expected a redirect to the relying party, got ${page.status} at ${page.url}:\n${page.body.slice(0, 600)}`);
    const tokens = await client.authorizationCodeGrant(started.config, new URL(page.redirectedTo), {
      pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, idTokenExpected: true,
    });
    lastTokens = tokens;
    return decodeJwt(tokens.id_token ?? '');
  }

  function expectErrorPage(page: Page, down: FormBrowser, text: RegExp): void {
    expect(page.redirectedTo).toBeUndefined();
    expect([400, 403, 502]).toContain(page.status);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toMatch(text);
    // the way back: the sign-in page
    expect(page.body).toMatch(/id="back" href="\/account\/login/);
    expect(down.cookies.has('idsrv')).toBe(false);
  }

  it('the first sign-in should provision and link a local user, the second reuse the link; idp is the scheme', async () => {
    const first = await signInUpstream('corp');
    expect(first.upstreamState.length).toBeGreaterThan(20);
    expect(first.upstreamState.length).toBeLessThan(100);
    // The request upstream: code flow with PKCE S256 and a nonce, answered at /signin/{scheme}.
    const upstreamRequest = first.upstreamRequest.searchParams;
    expect(upstreamRequest.get('response_type')).toBe('code');
    expect(upstreamRequest.get('code_challenge_method')).toBe('S256');
    expect(upstreamRequest.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upstreamRequest.get('nonce')?.length).toBeGreaterThanOrEqual(22);
    expect(upstreamRequest.get('redirect_uri')).toBe(`${downstreamA.baseUrl}/signin/corp`);
    expect(new URL(first.callbackUrl).pathname).toBe('/signin/corp');
    const firstToken = await redeem(first.started, await first.down.get(first.callbackUrl));
    expect(firstToken).toMatchObject({ idp: 'corp', email: 'alice@corp.example', name: 'Alice Upstream' });
    expect(firstToken.sub).not.toBe('up-1');
    expect(firstToken.amr).toEqual(['pwd']);
    expect(decodeJwt(lastTokens?.access_token ?? '')).toMatchObject({ idp: 'corp', sub: firstToken.sub });
    // A refresh keeps the identity provider of the sign-in.
    const refreshed = await client.refreshTokenGrant(first.started.config, lastTokens?.refresh_token ?? '');
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ idp: 'corp', sub: firstToken.sub });
    expect(decodeJwt(refreshed.id_token ?? '')).toMatchObject({ idp: 'corp', sub: firstToken.sub, email: 'alice@corp.example' });

    const links = downstreamA.app.get(UserLinkStore);
    const link = await links.find('corp', 'up-1');
    expect(link).toMatchObject({ subjectId: firstToken.sub, provisioned: true });

    const second = await signInUpstream('corp');
    const secondToken = await redeem(second.started, await second.down.get(second.callbackUrl));
    expect(secondToken).toMatchObject({ sub: firstToken.sub, idp: 'corp' });
    expect(await links.findBySubjectId(String(firstToken.sub))).toHaveLength(1);
  });

  it('a tampered state should end on the error page with no session', async () => {
    const at = await signInUpstream('corp');
    const url = new URL(at.callbackUrl);
    const state = url.searchParams.get('state') ?? '';
    url.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    expectErrorPage(await at.down.get(url.href), at.down, /no longer valid/);
  });

  it('a replayed callback should end on the error page with no session', async () => {
    const at = await signInUpstream('corp');
    const done = await at.down.get(at.callbackUrl);
    expect(done.redirectedTo?.startsWith(REDIRECT_URI)).toBe(true);
    const replayer = new FormBrowser(downstreamA.baseUrl);
    for (const [name, cookie] of at.down.cookies) if (name !== 'idsrv') replayer.cookies.set(name, cookie);
    expectErrorPage(await replayer.get(at.callbackUrl), replayer, /no longer valid/);
  });

  it('a callback in a browser that did not start the sign-in should end on the error page', async () => {
    const at = await signInUpstream('corp');
    const other = new FormBrowser(downstreamA.baseUrl);
    expectErrorPage(await other.get(at.callbackUrl), other, /another browser/);
  });

  it('an answer whose RFC 9207 iss names another issuer should end on the error page', async () => {
    const at = await signInUpstream('corp');
    const url = new URL(at.callbackUrl);
    expect(url.searchParams.get('iss')).toBe(upstream.baseUrl);
    url.searchParams.set('iss', 'https://mix-up.example');
    expectErrorPage(await at.down.get(url.href), at.down, /could not be verified/);
  });

  it('an answer delivered to the callback of another provider should end on the error page', async () => {
    const at = await signInUpstream('corp');
    const url = new URL(at.callbackUrl);
    url.pathname = '/signin/corp-proxy';
    expectErrorPage(await at.down.get(url.href), at.down, /does not belong to the sign-in/);
  });

  it('a returnUrl that is not a local path should be dropped: the sign-in ends on our own page, not elsewhere', async () => {
    const down = new FormBrowser(downstreamA.baseUrl);
    const challenge = await down.get(`/account/external?scheme=corp&returnUrl=${encodeURIComponent('https://evil.example/')}`);
    const up = new FormBrowser(upstream.baseUrl);
    const upstreamLogin = await up.get(challenge.redirectedTo ?? '');
    const answered = await up.submit(upstreamLogin, { username: 'alice', password: 'alice' });
    const done = await down.get(answered.redirectedTo ?? '');
    expect(done.redirectedTo).toBeUndefined();
    expect(done.status).toBe(200);
    expect(done.body).toContain('You are signed in as Alice Upstream');
  });

  it('the signed-in page (no returnUrl) should speak the browser\'s language', async () => {
    const down = new FormBrowser(downstreamA.baseUrl, german);
    const challenge = await down.get('/account/external?scheme=corp');
    const up = new FormBrowser(upstream.baseUrl);
    const answered = await up.submit(await up.get(challenge.redirectedTo ?? ''), { username: 'alice', password: 'alice' });
    const done = await down.get(answered.redirectedTo ?? '');
    expect(done.status).toBe(200);
    expect(done.body).toContain('<html lang="de">');
    expect(done.body).toContain(`<title>${translator('de')('login.signedInTitle')} – Identity</title>`);
    expect(done.body).toContain(translator('de')('login.signedInMessage', { user: 'Alice Upstream' }));
  });

  it.each([
    ['a wrong nonce', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, nonce: 'not-the-nonce' }) }],
    ['a wrong aud', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }) }],
    ['an id token signed by another key', { kind: 'other-key' as const }],
    ['several audiences without azp', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, aud: [String(c.aud), 'someone-else'], azp: undefined }) }],
    ['an azp naming another client', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, azp: 'someone-else' }) }],
    ['another issuer', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, iss: 'https://other-issuer.example' }) }],
    ['an expired id token', { kind: 'claims' as const, change: (c: Record<string, unknown>) => ({ ...c, iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 }) }],
  ])('%s should end on the error page with no session', async (_what, tampering) => {
    proxy.tampering = tampering;
    const at = await signInUpstream('corp-proxy');
    const page = await at.down.get(at.callbackUrl);
    expectErrorPage(page, at.down, /could not be verified/);
    expect(page.body).toContain(translator('en')('error.explain.external_sign_in_failed'));
    expect(await downstreamA.app.get(UserLinkStore).find('corp-proxy', 'up-1')).toBeUndefined();
  });

  it('an id token whose sub is longer than 255 characters should end on the error page, not a database error', async () => {
    proxy.tampering = { kind: 'claims', change: (c) => ({ ...c, sub: 's'.repeat(256) }) };
    const at = await signInUpstream('corp-proxy');
    expectErrorPage(await at.down.get(at.callbackUrl), at.down, /invalid user identifier/);
  });

  it('the same path through the proxy untouched should sign in (the tampering tests fail for the tampering alone)', async () => {
    const at = await signInUpstream('corp-proxy', 'bob');
    expect(await redeem(at.started, await at.down.get(at.callbackUrl))).toMatchObject({ idp: 'corp-proxy', email: 'bob@corp.example' });
  });

  it('the provider answering access_denied (the user cancelled) should end on the error page with no session', async () => {
    const at = await signInUpstream('corp', 'alice', { name: 'button', value: 'cancel' });
    expect(new URL(at.callbackUrl).searchParams.get('error')).toBe('access_denied');
    expectErrorPage(await at.down.get(at.callbackUrl), at.down, /did not sign in at Corporate SSO/);
  });

  it('an unreachable provider should end on the error page (502), never a 500', async () => {
    const down = new FormBrowser(downstreamA.baseUrl);
    expectErrorPage(await down.get('/account/external?scheme=unreachable&returnUrl=%2Fconnect%2Fauthorize%2Fcallback'), down, /cannot be reached/);
  });

  it('a provider without autoProvision should refuse an unlinked user on the error page', async () => {
    const at = await signInUpstream('no-provisioning');
    expectErrorPage(await at.down.get(at.callbackUrl), at.down, /not linked/);
  });

  it('the login page should offer enabled providers only; a disabled or unknown scheme is the error page', async () => {
    const down = new FormBrowser(downstreamA.baseUrl);
    const login = await down.get('/account/login');
    expect(login.body).toContain('id="external-corp"');
    expect(login.body).not.toContain('id="external-switched-off"');
    expectErrorPage(await down.get('/account/external?scheme=switched-off'), down, /no sign-in provider/);
    expectErrorPage(await down.get('/account/external?scheme=nope'), down, /no sign-in provider/);
  });

  it('logout of a user signed in through the provider should sign out there too, then show our signed-out page', async () => {
    const at = await signInUpstream('corp');
    const up = at.up;
    expect(up.cookies.has('idsrv')).toBe(true);
    const signedIn = await at.down.get(at.callbackUrl);
    expect(signedIn.redirectedTo?.startsWith(REDIRECT_URI)).toBe(true);
    expect(at.down.cookies.has('idsrv')).toBe(true);

    const logoutPage = await at.down.get('/account/logout');
    const leaving = await at.down.submit(logoutPage, {}, { name: 'decision', value: 'logout' });
    expect(at.down.cookies.has('idsrv')).toBe(false);
    if (!leaving.redirectedTo) throw new Error(`expected a redirect to the provider's end_session_endpoint, got ${leaving.status}`);
    const endSession = new URL(leaving.redirectedTo);
    expect(endSession.pathname).toBe('/connect/endsession');
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${downstreamA.baseUrl}/account/logout`);
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    // The upstream ends its session (a valid hint) and sends the browser back to our signed-out page.
    const back = await up.get(endSession.href);
    expect(up.cookies.has('idsrv')).toBe(false);
    expect(back.redirectedTo?.startsWith(`${downstreamA.baseUrl}/account/logout?`)).toBe(true);
    const signedOut = await at.down.get(back.redirectedTo ?? '');
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain('signed out');
  });

  it('RP-initiated logout (a valid id_token_hint) of a user signed in through the provider should sign out there too, then offer the way back to the client', async () => {
    const at = await signInUpstream('corp');
    await redeem(at.started, await at.down.get(at.callbackUrl));
    const idTokenHint = lastTokens?.id_token ?? '';
    expect(at.down.cookies.has('idsrv')).toBe(true);

    const endSessionUrl = new URL('/connect/endsession', downstreamA.baseUrl);
    endSessionUrl.search = new URLSearchParams({ id_token_hint: idTokenHint, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'rp-state' }).toString();
    const leaving = await at.down.get(endSessionUrl.href);
    expect(at.down.cookies.has('idsrv')).toBe(false);
    if (!leaving.redirectedTo) throw new Error(`expected a redirect to the provider's end_session_endpoint, got ${leaving.status}`);
    const atProvider = new URL(leaving.redirectedTo);
    expect(`${atProvider.origin}${atProvider.pathname}`).toBe(`${upstream.baseUrl}/connect/endsession`);
    expect(atProvider.searchParams.get('post_logout_redirect_uri')).toBe(`${downstreamA.baseUrl}/account/logout`);

    const back = await at.up.get(atProvider.href);
    expect(at.up.cookies.has('idsrv')).toBe(false);
    const signedOut = await at.down.get(back.redirectedTo ?? '');
    expect(signedOut.status).toBe(200);
    expect(signedOut.body).toContain(`id="post-logout-redirect" href="${POST_LOGOUT_REDIRECT_URI}?state=rp-state"`);
  });

  (redisUrl ? it : it.skip)('a sign-in started on instance A should finish on instance B (shared Redis)', async () => {
    if (!downstreamB) throw new Error('instance B did not start');
    const at = await signInUpstream('corp');
    // Behind one load balancer both instances share the origin and the browser's cookies.
    const onB = new FormBrowser(downstreamB.baseUrl);
    for (const [name, cookie] of at.down.cookies) onB.cookies.set(name, cookie);
    const callback = new URL(at.callbackUrl);
    const finished = await onB.get(`${downstreamB.baseUrl}${callback.pathname}${callback.search}`);
    expect(finished.redirectedTo?.startsWith(`${REDIRECT_URI}?`)).toBe(true);
    expect(new URL(finished.redirectedTo ?? '').searchParams.get('code')).toBeTruthy();
    expect(onB.cookies.has('idsrv')).toBe(true);
  });
});
