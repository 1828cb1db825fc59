import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { Clock } from '../../src/common/clock';
import { RunningFakeClock } from '../support/fakes/fake-clock';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures } from './device-fixtures';
import { FormBrowser } from '../support/form-browser';
import { DeviceFlowStore } from '../../src/stores/device-flow.store';
import { hashDeviceCode } from '../../src/device-flow/device-code.service';
import { approveOnDevicePage, authorizeDevice, poll, postForm } from './device-helpers';

describe('device flow (RFC 8628) end to end', () => {
  let server: TestApp;
  // Runs with real time (openid-client below polls at the announced interval in real time) and
  // jumps when a test needs time to pass.
  const clock = new RunningFakeClock();

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures(), {}, { providers: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(() => server?.close());

  it('device authorization answers RFC 8628 §3.2 with an easy user code and the /device URIs', async () => {
    const response = await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'tv', scope: 'openid api1' });
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.user_code).toMatch(/^[BCDFGHJKMNPQRSTVWXZ]{4}-[BCDFGHJKMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri).toBe(`${server.baseUrl}/device`);
    expect(body.verification_uri_complete).toBe(`${server.baseUrl}/device?userCode=${body.user_code as string}`);
    expect(body).toMatchObject({ expires_in: 300, interval: 5 });
    expect(typeof body.device_code).toBe('string');
    expect((body.device_code as string).length).toBeGreaterThanOrEqual(43);
  });

  it('stores only hashes of the codes and a protected payload (docs/deployment.md)', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'openid api1');
    const store = server.app.get(DeviceFlowStore);
    expect(await store.findByDeviceCodeHash(authorization.device_code)).toBeUndefined();
    const record = await store.findByDeviceCodeHash(hashDeviceCode(authorization.device_code));
    expect(record).toMatchObject({ clientId: 'tv' });
    expect(record?.userCode).not.toContain(authorization.user_code);
    expect(record?.userCode).not.toContain(authorization.user_code.replace('-', ''));
    expect(record?.data).not.toMatch(/api1|openid/);
  });

  it('device authorization refuses bad clients and scopes with RFC 6749 §5.2 errors', async () => {
    expect((await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'nobody' })).body.error).toBe('invalid_client');
    expect((await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'tv.secret', scope: 'api1' })).body.error).toBe('invalid_client');
    const m2m = await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'm2m', client_secret: 'secret', scope: 'api1' });
    expect(m2m).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    const scope = await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'tv', scope: 'openid email' });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const secret = await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'tv.secret', client_secret: 'secret', scope: 'api1' });
    expect(secret.status).toBe(200);
  });

  it('polling before the user acts answers authorization_pending, then slow_down when too fast', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
  });

  it('user code → login → confirmation → tokens (no consent required); the code then works only once', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'openid profile api1 offline_access');
    const browser = new FormBrowser(server.baseUrl);
    const codePage = await browser.get(authorization.verification_uri_complete);
    expect(codePage.status).toBe(200);
    expect(codePage.body).toMatch(/name="userCode"/);
    expect(codePage.body).toContain(`value="${authorization.user_code}"`);

    const loginPage = await browser.submit(codePage, {});
    expect(loginPage.body).toMatch(/name="password"/);
    // RFC 8628 §5.4: nothing is connected before the user confirms client, scopes and code.
    const confirmation = await browser.submit(loginPage, { username: 'alice', password: 'alice' });
    expect(confirmation.status).toBe(200);
    expect(confirmation.body).toContain('<h1>Connect Device tv?</h1>');
    expect(confirmation.body).toContain(`>${authorization.user_code}</p>`);
    expect(confirmation.body).toMatch(/name="decision" value="allow"/);
    expect(confirmation.body).toContain('API 1');
    expect(confirmation.body).not.toContain('rememberConsent');
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    clock.advance(6_000); // past the polling interval, so the next poll is not slow_down
    const done = await browser.submit(confirmation, {}, { name: 'decision', value: 'allow' });
    expect(done.status).toBe(200);
    expect(done.body).toMatch(/connected/i);

    const tokens = await poll(server.baseUrl, 'tv', authorization.device_code);
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile api1 offline_access' });
    expect(typeof tokens.body.refresh_token).toBe('string');
    const jwks = (await (await fetch(`${server.baseUrl}/.well-known/openid-configuration/jwks`)).json()) as JSONWebKeySet;
    // The server's clock was moved ahead above: verify at its time.
    const { payload: idToken } = await jwtVerify(tokens.body.id_token as string, createLocalJWKSet(jwks), { issuer: server.baseUrl, audience: 'tv', currentDate: clock.now() });
    expect(idToken).toMatchObject({ sub: '1' });
    expect(typeof idToken.sid).toBe('string');
    expect(typeof idToken.at_hash).toBe('string');
    const { payload: accessToken } = await jwtVerify(tokens.body.access_token as string, createLocalJWKSet(jwks), { audience: 'urn:api1', currentDate: clock.now() });
    expect(accessToken).toMatchObject({ sub: '1', client_id: 'tv', scope: 'openid profile api1 offline_access' });

    const again = await poll(server.baseUrl, 'tv', authorization.device_code);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('with requireConsent, the confirmation page offers to remember; allow yields tokens', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv.consent', 'openid api1');
    const browser = new FormBrowser(server.baseUrl);
    const codePage = await browser.get(authorization.verification_uri_complete);
    const loginPage = await browser.submit(codePage, {});
    const consentPage = await browser.submit(loginPage, { username: 'alice', password: 'alice' });
    expect(consentPage.body).toMatch(/name="decision" value="allow"/);
    expect(consentPage.body).toContain('API 1');
    expect(consentPage.body).toContain('name="rememberConsent"');
    await browser.submit(consentPage, {}, { name: 'decision', value: 'allow' });
    const tokens = await poll(server.baseUrl, 'tv.consent', authorization.device_code);
    expect(tokens).toMatchObject({ status: 200, body: { scope: 'openid api1' } });

    // "Remember my decision" was checked: the next time, the device is still confirmed, but not asked to remember.
    const next = await authorizeDevice(server.baseUrl, 'tv.consent', 'api1');
    const page = await browser.submit(await browser.get(next.verification_uri_complete), {});
    expect(page.body).toMatch(/name="decision" value="allow"/);
    expect(page.body).not.toContain('name="rememberConsent"');
    expect((await browser.submit(page, {}, { name: 'decision', value: 'allow' })).body).toMatch(/connected/i);
  });

  it('deny on the consent page answers access_denied to the device', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv.consent', 'api1');
    // bob: alice's consent for this client is remembered by the test above
    const page = await approveOnDevicePage(new FormBrowser(server.baseUrl), authorization, { username: 'bob', decision: 'deny' });
    expect(page.body).toMatch(/denied/i);
    expect(await poll(server.baseUrl, 'tv.consent', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  it('an already signed-in user goes from the code straight to the confirmation', async () => {
    const browser = new FormBrowser(server.baseUrl);
    await approveOnDevicePage(browser, await authorizeDevice(server.baseUrl, 'tv', 'api1'));
    const second = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const confirmation = await browser.submit(await browser.get(`${server.baseUrl}/device`), { userCode: second.user_code.toLowerCase().replace('-', ' ') });
    expect(confirmation.body).toContain(`>${second.user_code}</p>`);
    const page = await browser.submit(confirmation, {}, { name: 'decision', value: 'allow' });
    expect(page.body).toMatch(/connected/i);
    expect((await poll(server.baseUrl, 'tv', second.device_code)).status).toBe(200);
  });

  it('a link minted in one browser does not approve a device in another (RFC 8628 §5.4)', async () => {
    // The attacker types their own device's code, and stops at the login page…
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const attacker = new FormBrowser(server.baseUrl);
    const loginPage = await attacker.submit(await attacker.get(authorization.verification_uri_complete), {});
    const link = new URL(loginPage.url).searchParams.get('returnUrl') ?? '';
    expect(link).toMatch(/^\/device\?request=/);
    // …and sends the link to a signed-in victim.
    const victim = new FormBrowser(server.baseUrl);
    await approveOnDevicePage(victim, await authorizeDevice(server.baseUrl, 'tv', 'api1'));
    const page = await victim.get(link);
    expect(page.status).toBe(400);
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });

  it('the login page reached from /device names the device\'s client and logo, also after a wrong password (issue 12)', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv.logo', 'api1');
    const browser = new FormBrowser(server.baseUrl);
    const loginPage = await browser.submit(await browser.get(authorization.verification_uri_complete), {});
    expect(new URL(loginPage.url).pathname).toBe('/account/login');
    expect(loginPage.body).toContain('to continue to <strong>Device tv.logo</strong>');
    expect(loginPage.body).toContain('<img src="https://tv.example/logo.svg" alt="">');
    const failed = await browser.submit(loginPage, { username: 'alice', password: 'wrong' });
    expect(failed.status).toBe(400);
    expect(failed.body).toContain('to continue to <strong>Device tv.logo</strong>');
    const confirmation = await browser.submit(failed, { username: 'alice', password: 'alice' });
    expect(confirmation.body).toMatch(/name="decision" value="allow"/);

    // The same login link opened in another browser (the interaction is bound to the first one) names no client.
    const other = new FormBrowser(server.baseUrl);
    const foreign = await other.get(loginPage.url);
    expect(foreign.status).toBe(200);
    expect(foreign.body).toMatch(/name="password"/);
    expect(foreign.body).not.toContain('to continue to');
  });

  it('a wrong user code shows the form again with an error', async () => {
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.submit(await browser.get(`${server.baseUrl}/device`), { userCode: 'BCDF-GHJK' });
    expect(page.status).toBe(400);
    expect(page.body).toMatch(/name="userCode"/);
    expect(page.body).toMatch(/not valid/);
  });

  it('a device code of another client, or unknown, is invalid_grant', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    expect(await poll(server.baseUrl, 'tv.consent', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await poll(server.baseUrl, 'tv', 'nope')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await postForm(server.baseUrl, '/connect/token', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: 'tv' }))
      .toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('an expired device code answers expired_token', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv.short', 'api1');
    clock.advance(1_100);
    expect(await poll(server.baseUrl, 'tv.short', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'expired_token' } });
  });

  it('a real RP library (openid-client) runs the device flow, polling at the announced interval', async () => {
    const config = await oidc.discovery(new URL(server.baseUrl), 'tv', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const response = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile api1 offline_access' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);
    await approveOnDevicePage(new FormBrowser(server.baseUrl), response);
    const tokens = await polling; // the library validates the id token (issuer, audience, signature)
    expect(tokens.claims()).toMatchObject({ iss: server.baseUrl, aud: 'tv', sub: '1' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe('1');
  }, 20_000);
});
