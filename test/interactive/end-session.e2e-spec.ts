import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures } from './device-fixtures';
import { FormBrowser } from '../support/form-browser';
import { authorizeDevice, obtainDeviceTokens } from './device-helpers';

interface Delivery { readonly path: string; readonly contentType?: string; readonly logoutToken: string | null }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('end session (RP-initiated logout) with back-channel logout', () => {
  let receiver: Server;
  let server: TestApp;
  const deliveries: Delivery[] = [];
  // Token lifetimes run on the server's Clock; it starts at real time so jose accepts logout tokens.
  const clock = new FakeClock(new Date());

  /** Back-channel deliveries are sent in the background: wait for them (bounded) rather than for time. */
  async function waitForDeliveries(count: number): Promise<void> {
    for (let i = 0; i < 100 && deliveries.length < count; i++) await sleep(50);
  }

  beforeAll(async () => {
    // The relying parties' back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5).
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        deliveries.push({ path: req.url ?? '', contentType: req.headers['content-type'], logoutToken: body.get('logout_token') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    server = await startTestAppWithFixtures(createInteractiveFixtures(`http://127.0.0.1:${port}/bc-logout`), {}, {
      providers: [{ provide: Clock, useValue: clock }],
    });
  });
  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });
  beforeEach(() => { deliveries.length = 0; });

  it('with a valid (even expired) id_token_hint: signs out without asking, notifies every session client, redirects with state', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid api1', browser);
    await obtainDeviceTokens(server.baseUrl, 'tv.bc2', 'openid api1', browser); // same session, no second login
    const idToken = tokens.id_token as string;
    const sid = decodeJwt(idToken).sid;
    const sessionCookie = browser.cookies.get('idsrv')?.value;
    expect(sessionCookie).toBeDefined();
    clock.advance(1_200); // the id token (lifetime 1 s) has expired

    const response = await browser.get(`/connect/endsession?${new URLSearchParams({
      id_token_hint: idToken, post_logout_redirect_uri: 'https://tv.example/signed-out', state: 'st@te 1',
    })}`);
    expect(response.status).toBe(302);
    expect(response.redirectedTo).toBe('https://tv.example/signed-out?state=st%40te+1');
    expect(browser.cookies.get('idsrv')?.value).toBeUndefined();

    await waitForDeliveries(2);
    expect(deliveries).toHaveLength(2);
    const jwks = createRemoteJWKSet(new URL(`${server.baseUrl}/.well-known/openid-configuration/jwks`));
    const audiences: unknown[] = [];
    for (const delivery of deliveries) {
      expect(delivery.path).toBe('/bc-logout');
      expect(delivery.contentType).toBe('application/x-www-form-urlencoded');
      const { payload, protectedHeader } = await jwtVerify(delivery.logoutToken ?? '', jwks, {
        issuer: server.baseUrl, typ: 'logout+jwt', requiredClaims: ['iat', 'exp', 'jti'],
      });
      expect(protectedHeader.typ).toBe('logout+jwt');
      expect(payload).toMatchObject({ sub: '1', sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
      expect(payload).not.toHaveProperty('nonce');
      audiences.push(payload.aud);
    }
    expect(audiences.sort()).toEqual(['tv.bc', 'tv.bc2']);

    // The server-side session is gone: replaying the old cookie does not sign anyone in.
    const replay = new FormBrowser(server.baseUrl);
    const code = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const codePage = await replay.get(code.verification_uri_complete);
    replay.cookies.set('idsrv', { value: sessionCookie ?? '', httpOnly: true }); // the stale cookie, as a thief would replay it
    const next = await replay.submit(codePage, {});
    expect(next.body).toMatch(/name="password"/);
  });

  it('with a valid hint and no post_logout_redirect_uri: signs out and shows the signed-out page', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.bc2', 'openid', browser);
    const page = await browser.get(`/connect/endsession?id_token_hint=${tokens.id_token as string}`);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/signed out/i);
    expect(browser.cookies.get('idsrv')?.value).toBeUndefined();
    await waitForDeliveries(1);
    expect(deliveries).toHaveLength(1);
  });

  it('a post_logout_redirect_uri that is not registered shows an error page and never redirects', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid', browser);
    const response = await browser.get(`/connect/endsession?${new URLSearchParams({
      id_token_hint: tokens.id_token as string, post_logout_redirect_uri: 'https://evil.example/',
    })}`);
    expect(response.status).toBe(400);
    expect(response.redirectedTo).toBeUndefined();
    expect(response.headers.get('location')).toBeNull();
    expect(browser.cookies.get('idsrv')?.value).toBeDefined();
  });

  it('without a valid hint: asks on /account/logout, then signs out and notifies', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid', browser);
    const forged = `${(tokens.id_token as string).slice(0, -4)}AAAA`;
    const prompt = await browser.get(`/connect/endsession?${new URLSearchParams({
      id_token_hint: forged, post_logout_redirect_uri: 'https://tv.example/signed-out', state: 's',
    })}`);
    expect(prompt.url).toMatch(/\/account\/logout\?logoutId=/);
    expect(browser.cookies.get('idsrv')?.value).toBeDefined(); // nothing happened yet
    expect(prompt.body).toMatch(/name="decision" value="logout"/);
    const done = await browser.submit(prompt, {}, { name: 'decision', value: 'logout' });
    expect(done.status).toBe(200);
    expect(done.body).toMatch(/signed out/i);
    expect(browser.cookies.get('idsrv')?.value).toBeUndefined();
    await waitForDeliveries(1);
    expect(deliveries.map((d) => decodeJwt(d.logoutToken ?? '').aud)).toEqual(['tv.bc']);
    // the forged hint proved nothing, so its post_logout_redirect_uri is not offered
    expect(done.body).not.toContain('tv.example');
  });

  it('without a hint but with client_id: asks, then links back to the registered URI with state', async () => {
    const browser = new FormBrowser(server.baseUrl);
    await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid', browser);
    const prompt = await browser.get(`/connect/endsession?${new URLSearchParams({
      client_id: 'tv.bc', post_logout_redirect_uri: 'https://tv.example/signed-out', state: 'xyz',
    })}`);
    expect(prompt.body).toMatch(/name="decision" value="logout"/);
    const done = await browser.submit(prompt, {}, { name: 'decision', value: 'logout' });
    expect(done.body).toContain('href="https://tv.example/signed-out?state=xyz"');
    expect(browser.cookies.get('idsrv')).toBeUndefined();
  });

  it('without a hint and without a session: shows the signed-out page of /account/logout, never redirects unasked', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.get(`/connect/endsession?${new URLSearchParams({
      client_id: 'tv.bc', post_logout_redirect_uri: 'https://tv.example/signed-out', state: 'xyz',
    })}`);
    expect(page.redirectedTo).toBeUndefined();
    expect(page.url).toMatch(/\/account\/logout\?logoutId=/);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/signed out/i);
    expect(page.body).toContain('href="https://tv.example/signed-out?state=xyz"');
  });

  it('the logout page refuses a form without its anti-forgery token', async () => {
    const browser = new FormBrowser(server.baseUrl);
    await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid', browser);
    const forged = await browser.post('/account/logout', { decision: 'logout' });
    expect(forged.status).toBe(400);
    expect(browser.cookies.get('idsrv')).toBeDefined();
  });

  it('POST works like GET', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv.bc', 'openid', browser);
    const response = await fetch(`${server.baseUrl}/connect/endsession`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `idsrv=${browser.cookies.get('idsrv')?.value ?? ''}` },
      body: new URLSearchParams({ id_token_hint: tokens.id_token as string, post_logout_redirect_uri: 'https://tv.example/signed-out' }).toString(),
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://tv.example/signed-out');
  });
});
