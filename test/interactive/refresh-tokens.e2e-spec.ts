import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures } from './device-fixtures';
import { obtainDeviceTokens, postForm, type JsonResponse } from './device-helpers';
import { FormBrowser } from '../support/form-browser';

describe('refresh_token grant', () => {
  let server: TestApp;
  let browser: FormBrowser;
  // Refresh-token windows are decided on the server's Clock: the tests move it instead of waiting.
  // It starts at real time, so jose accepts the identity tokens it signs.
  const clock = new FakeClock(new Date());

  const refresh = (clientId: string, refreshToken: string, extra: Record<string, string> = {}): Promise<JsonResponse> =>
    postForm(server.baseUrl, '/connect/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...extra });
  const tokensFor = (clientId: string, scope = 'openid profile api1 offline_access') =>
    obtainDeviceTokens(server.baseUrl, clientId, scope, browser);

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures(), {}, { providers: [{ provide: Clock, useValue: clock }] });
    browser = new FormBrowser(server.baseUrl);
  });
  afterAll(() => server?.close());

  it('oneTime: every use rotates the token and the new one works', async () => {
    const first = await tokensFor('tv');
    const r1 = await refresh('tv', first.refresh_token as string);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).toEqual(expect.any(String));
    expect(r1.body.refresh_token).not.toBe(first.refresh_token);
    const r2 = await refresh('tv', r1.body.refresh_token as string);
    expect(r2.status).toBe(200);
    expect(r2.body.refresh_token).not.toBe(r1.body.refresh_token);
  });

  it('oneTime: a reused token is invalid_grant and revokes the whole family (RFC 9700 §4.14)', async () => {
    const first = await tokensFor('tv');
    const rotated = await refresh('tv', first.refresh_token as string);
    expect(rotated.status).toBe(200);
    // An attacker replays the stolen, already-used token…
    expect(await refresh('tv', first.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // …so the legitimate client's current token is revoked too.
    expect(await refresh('tv', rotated.body.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Other families of the same user and client are untouched.
    const other = await tokensFor('tv');
    expect((await refresh('tv', other.refresh_token as string)).status).toBe(200);
  });

  it('oneTime: two requests racing with one token get tokens at most once, and no member of the family survives (docs/endpoints.md)', async () => {
    const first = await tokensFor('tv');
    const results = await Promise.all([refresh('tv', first.refresh_token as string), refresh('tv', first.refresh_token as string)]);
    // The loser is reuse and revokes the family; the winner's successor is withdrawn when the
    // revocation came first, or revoked with the family when it came after.
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.body.error === 'invalid_grant').length).toBeGreaterThanOrEqual(1);
    const successors = results.flatMap((r) => (typeof r.body.refresh_token === 'string' ? [r.body.refresh_token] : []));
    for (const token of [first.refresh_token as string, ...successors]) {
      expect(await refresh('tv', token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
  });

  it('reuse: the same token is returned and keeps working', async () => {
    const first = await tokensFor('tv.reuse');
    const r1 = await refresh('tv.reuse', first.refresh_token as string);
    const r2 = await refresh('tv.reuse', first.refresh_token as string);
    expect(r1).toMatchObject({ status: 200, body: { refresh_token: first.refresh_token } });
    expect(r2).toMatchObject({ status: 200, body: { refresh_token: first.refresh_token } });
  });

  it('issues a new identity token (no nonce, at_hash of the new access token) when openid was granted', async () => {
    const first = await tokensFor('tv');
    const refreshed = await refresh('tv', first.refresh_token as string);
    const jwks = (await (await fetch(`${server.baseUrl}/.well-known/openid-configuration/jwks`)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(refreshed.body.id_token as string, createLocalJWKSet(jwks), { issuer: server.baseUrl, audience: 'tv' });
    const original = decodeJwt(first.id_token as string);
    expect(payload).toMatchObject({ sub: '1', sid: original.sid, auth_time: original.auth_time });
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.at_hash).toEqual(expect.any(String));
    expect(payload.at_hash).not.toBe(original.at_hash);
  });

  it('down-scopes on request, never widens (RFC 6749 §6)', async () => {
    const first = await tokensFor('tv');
    const narrowed = await refresh('tv', first.refresh_token as string, { scope: 'api1' });
    expect(narrowed).toMatchObject({ status: 200, body: { scope: 'api1' } });
    expect(narrowed.body).not.toHaveProperty('id_token');
    expect(decodeJwt(narrowed.body.access_token as string).scope).toBe('api1');
    // the refresh token still carries the original grant
    const full = await refresh('tv', narrowed.body.refresh_token as string);
    expect(full).toMatchObject({ status: 200, body: { scope: 'openid profile api1 offline_access' } });

    const limited = await tokensFor('tv', 'api1 offline_access');
    expect(await refresh('tv', limited.refresh_token as string, { scope: 'api1 profile' }))
      .toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('refresh tokens only with offline_access, and only for a client with allowOfflineAccess', async () => {
    const withoutOffline = await tokensFor('tv', 'openid api1');
    expect(withoutOffline).not.toHaveProperty('refresh_token');
    const refused = await postForm(server.baseUrl, '/connect/deviceauthorization', { client_id: 'tv.nooffline', scope: 'api1 offline_access' });
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  it('a token of another client, an unknown token or a missing parameter is refused', async () => {
    const first = await tokensFor('tv');
    expect(await refresh('tv.reuse', first.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh('tv', 'not-a-token')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await postForm(server.baseUrl, '/connect/token', { grant_type: 'refresh_token', client_id: 'tv' }))
      .toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('absolute expiry: rotation never extends past the family lifetime', async () => {
    const first = await tokensFor('tv.absolute'); // absolute lifetime 2 s
    clock.advance(1_100);
    const rotated = await refresh('tv.absolute', first.refresh_token as string);
    expect(rotated.status).toBe(200);
    clock.advance(1_100);
    expect(await refresh('tv.absolute', rotated.body.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('sliding expiry: each use extends by the sliding lifetime, up to the absolute limit', async () => {
    // sliding 2 s, absolute 4 s
    const unused = await tokensFor('tv.sliding');
    const first = await tokensFor('tv.sliding');
    clock.advance(1_300);
    const r1 = await refresh('tv.sliding', first.refresh_token as string);
    expect(r1.status).toBe(200);
    clock.advance(1_300);
    // 2.6 s after issue: past the first sliding window, alive only because it was used
    expect(await refresh('tv.sliding', unused.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const r2 = await refresh('tv.sliding', r1.body.refresh_token as string);
    expect(r2.status).toBe(200);
    clock.advance(1_600);
    // 4.2 s: the absolute limit ends the family although the last use was 1.6 s ago
    expect(await refresh('tv.sliding', r2.body.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  // Last: these move the clock by whole seconds, past what jose accepts for the tests above.
  it('oneTime with refreshTokenReuseInterval: parallel refreshes with one token all succeed with the same successor, which works', async () => {
    const first = await tokensFor('tv.grace');
    const results = await Promise.all(Array.from({ length: 6 }, () => refresh('tv.grace', first.refresh_token as string)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
    const successors = new Set(results.map((r) => r.body.refresh_token));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as string[];
    expect(successor).not.toBe(first.refresh_token);
    // Each got an access token of its own.
    expect(new Set(results.map((r) => r.body.access_token)).size).toBe(6);
    // Presented again a little later, still within the interval: the same successor once more.
    clock.advance(29_000);
    expect(await refresh('tv.grace', first.refresh_token as string)).toMatchObject({ status: 200, body: { refresh_token: successor } });
    const next = await refresh('tv.grace', successor);
    expect(next.status).toBe(200);
    expect(next.body.refresh_token).not.toBe(successor);
  });

  it('oneTime with refreshTokenReuseInterval: reuse after the interval revokes the family, the successor just issued included', async () => {
    const first = await tokensFor('tv.grace');
    const rotated = await refresh('tv.grace', first.refresh_token as string);
    expect(rotated.status).toBe(200);
    clock.advance(30_000);
    expect(await refresh('tv.grace', first.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await refresh('tv.grace', rotated.body.refresh_token as string)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});
