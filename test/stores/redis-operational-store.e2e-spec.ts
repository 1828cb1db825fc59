import { createHash, randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { RedisPersistedGrantStore, RedisServerSideSessionStore } from '../../src/stores/redis';
import { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { persistedGrantKey } from '../../src/token-issuance/token-handle';
import { approveOnDevicePage, authorizeDevice, DEVICE_GRANT, poll, postForm } from '../interactive/device-helpers';
import { createInteractiveFixtures, REDIRECT_URI, webClient } from '../interactive/interactive-fixtures';
import { FormBrowser } from '../support/form-browser';
import { waitFor } from '../support/free-port';
import { startPrivateRedis } from '../support/private-redis';
import { describeIfRedis, startTestAppWithFixtures, type TestApp } from '../support/test-app';

const base64url = (buffer: Buffer) => buffer.toString('base64url');

/**
 * OPERATIONAL_STORE=redis end to end (docs/deployment.md#redis-operational-store): codes, refresh and
 * reference tokens and server-side sessions live in Redis, keys and the key ring stay in SQLite.
 */
describeIfRedis('server with OPERATIONAL_STORE=redis', () => {
  let server: TestApp;
  let redis: Redis;
  const applicationName = `e2e-ops-${randomUUID()}`;
  const prefix = `${applicationName}:ops:`;
  const keys = (pattern: string) => redis.keys(`${prefix}${pattern}`);

  beforeAll(async () => {
    redis = new Redis(process.env.TEST_REDIS_URL ?? '');
    server = await startTestAppWithFixtures(createInteractiveFixtures([
      {
        clientId: 'tv', requireClientSecret: false, allowedGrantTypes: [DEVICE_GRANT, 'refresh_token'],
        allowedScopes: ['openid', 'profile', 'api1'], allowOfflineAccess: true,
      },
      // its codes expire after one second
      webClient('web.short', { authorizationCodeLifetime: 1 }),
    ]), {
      OPERATIONAL_STORE: 'redis', REDIS_URL: process.env.TEST_REDIS_URL ?? '', DATA_PROTECTION_APPLICATION_NAME: applicationName,
    });
  });
  afterAll(async () => {
    await server?.close();
    const left = await redis.keys(`${applicationName}:*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });

  async function tokenRequest(clientId: string, body: Record<string, string>, baseUrl = server.baseUrl): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const response = await fetch(`${baseUrl}/connect/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:secret`).toString('base64')}`,
      },
      body: new URLSearchParams(body).toString(),
    });
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
  }

  async function introspect(token: string): Promise<unknown> {
    const response = await fetch(`${server.baseUrl}/connect/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('urn%3Aapi1:api1-secret').toString('base64')}` },
      body: new URLSearchParams({ token }).toString(),
    });
    return ((await response.json()) as { active: unknown }).active;
  }

  /** Logs alice in with a browser of its own and returns the code and its verifier. */
  async function codeFor(clientId: string, browser = new FormBrowser(server.baseUrl)): Promise<{ code: string; verifier: string; browser: FormBrowser }> {
    const verifier = base64url(randomBytes(32));
    const url = `/connect/authorize?${new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile api1 offline_access',
      state: 's', nonce: 'n', code_challenge: base64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256',
    })}`;
    const login = await browser.get(url);
    expect(login.url).toContain('/account/login');
    const redirected = await browser.submit(login, { username: 'alice', password: 'alice' });
    const code = redirected.redirectedTo && new URL(redirected.redirectedTo).searchParams.get('code');
    if (!code) throw new Error(`no code: ${redirected.status} at ${redirected.url}`);
    return { code, verifier, browser };
  }

  const redeem = (clientId: string, code: string, verifier: string, baseUrl = server.baseUrl) =>
    tokenRequest(clientId, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }, baseUrl);

  it('binds the Redis stores by default', () => {
    expect(server.app.get(PersistedGrantStore)).toBeInstanceOf(RedisPersistedGrantStore);
    expect(server.app.get(ServerSideSessionStore)).toBeInstanceOf(RedisServerSideSessionStore);
  });

  it('code flow: tokens and the session are Redis keys expiring with them; a replayed code revokes what it produced (lookup by subject, client, session)', async () => {
    const { code, verifier } = await codeFor('web.reference');
    expect(await keys('session:*')).not.toHaveLength(0);
    const tokens = await redeem('web.reference', code, verifier);
    expect(tokens.status).toBe(200);
    const grants = await keys('grant:*');
    expect(grants.length).toBeGreaterThanOrEqual(3); // the consumed code, the refresh token, the reference token
    for (const key of grants) expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await introspect(tokens.json.access_token as string)).toBe(true);
    // nothing of it in the database, which still holds the keys
    const rows = await server.app.get(DataSource).query('SELECT (SELECT COUNT(*) FROM persisted_grants) + (SELECT COUNT(*) FROM server_side_sessions) AS n') as Array<{ n: number }>;
    expect(Number(rows[0].n)).toBe(0);

    const replay = await redeem('web.reference', code, verifier);
    expect(replay).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect(await introspect(tokens.json.access_token as string)).toBe(false);
    const refreshed = await tokenRequest('web.reference', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string });
    expect(refreshed).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('refresh rotates the token; revoking the new one ends it and the reference tokens of its grant', async () => {
    const { code, verifier } = await codeFor('web.reference');
    const tokens = await redeem('web.reference', code, verifier);
    const refreshed = await tokenRequest('web.reference', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string });
    expect(refreshed.status).toBe(200);
    const current = refreshed.json.refresh_token as string;
    expect(current).not.toBe(tokens.json.refresh_token);
    expect(await introspect(refreshed.json.access_token as string)).toBe(true);

    const revoked = await fetch(`${server.baseUrl}/connect/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('web.reference:secret').toString('base64')}` },
      body: new URLSearchParams({ token: current, token_type_hint: 'refresh_token' }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await tokenRequest('web.reference', { grant_type: 'refresh_token', refresh_token: current }))
      .toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect(await introspect(refreshed.json.access_token as string)).toBe(false);
  });

  it('refresh reuse detection: a rotated token presented again is invalid_grant and revokes its family, the successor included; other families stay', async () => {
    const { code, verifier } = await codeFor('web');
    const tokens = await redeem('web', code, verifier);
    const rotated = await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string });
    expect(rotated.status).toBe(200);
    const other = await (async () => {
      const second = await codeFor('web');
      return (await redeem('web', second.code, second.verifier)).json.refresh_token as string;
    })();

    expect(await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string }))
      .toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect(await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: rotated.json.refresh_token as string }))
      .toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect((await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: other })).status).toBe(200);
  });

  it('at rest in Redis: handles only as their hashes, payloads only protected (no code, token or personal data in any key or value)', async () => {
    const { code, verifier } = await codeFor('web.reference');
    const tokens = await redeem('web.reference', code, verifier);
    expect(tokens.status).toBe(200);
    const device = await authorizeDevice(server.baseUrl, 'tv', 'openid profile api1 offline_access');
    await approveOnDevicePage(new FormBrowser(server.baseUrl), { user_code: device.user_code, verification_uri: device.verification_uri });

    // the grants are there, under the hash of their handle
    for (const [handle, type] of [[tokens.json.refresh_token, 'refresh_token'], [tokens.json.access_token, 'reference_token']] as const) {
      expect(await redis.exists(`${prefix}grant:${persistedGrantKey(handle as string, type)}`)).toBe(1);
    }
    const dump: string[] = [];
    for (const key of await keys('*')) {
      const kind = await redis.type(key);
      const value = kind === 'hash' ? await redis.hgetall(key) : kind === 'set' ? await redis.smembers(key) : kind === 'string' ? await redis.get(key) : kind;
      dump.push(`${key} ${JSON.stringify(value)}`);
    }
    expect(dump.some((entry) => entry.includes(`${prefix}session:`))).toBe(true);
    const secrets = [code, tokens.json.refresh_token, tokens.json.access_token, device.device_code, 'Alice Smith', 'alice@example.com'] as string[];
    expect(dump.flatMap((entry) => secrets.filter((secret) => entry.includes(secret)).map((secret) => `${secret.slice(0, 8)}… in ${entry.slice(0, 120)}`))).toEqual([]);
  });

  it('logout removes the server-side session from Redis', async () => {
    const { code, verifier, browser } = await codeFor('web');
    const tokens = await redeem('web', code, verifier);
    expect(tokens.status).toBe(200);
    const before = await keys('session:*');
    const page = await browser.get(`/connect/endsession?${new URLSearchParams({ id_token_hint: tokens.json.id_token as string })}`);
    expect(page.status).toBeLessThan(400);
    const after = await keys('session:*');
    expect(after).toHaveLength(before.length - 1);
    expect(browser.cookies.get('idsrv')?.value).toBeUndefined();
  });

  it('device flow: the authorization is a Redis key; the user enters the code and signs in; polling gets tokens once', async () => {
    // An earlier test's authorization may still be there: this one adds exactly one key.
    const before = new Set(await keys('device:*'));
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'openid profile api1 offline_access');
    const added = (await keys('device:*')).filter((key) => !before.has(key));
    expect(added).toHaveLength(1);
    const [deviceKey] = added;
    // 300 s of lifetime plus the 10 minutes a device still polling gets expired_token (docs/deployment.md)
    expect(await redis.pttl(deviceKey)).toBeGreaterThan(890_000);
    expect(await redis.pttl(deviceKey)).toBeLessThanOrEqual(900_000);

    // the user types the code on /device (no prefilled link), then signs in
    const page = await approveOnDevicePage(new FormBrowser(server.baseUrl), { user_code: authorization.user_code, verification_uri: authorization.verification_uri });
    expect(page.status).toBe(200);
    const tokens = await poll(server.baseUrl, 'tv', authorization.device_code);
    expect(tokens).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'openid profile api1 offline_access' } });
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // its refresh token is a Redis grant like any other
    const refreshed = await postForm(server.baseUrl, '/connect/token', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: 'tv' });
    expect(refreshed.status).toBe(200);
    const rows = await server.app.get(DataSource).query('SELECT (SELECT COUNT(*) FROM device_codes) + (SELECT COUNT(*) FROM persisted_grants) AS n') as Array<{ n: number }>;
    expect(Number(rows[0].n)).toBe(0);
  });

  it('a refresh race: N requests at once with one refresh token, exactly one spends it; no member of the family survives (docs/endpoints.md)', async () => {
    const { code, verifier } = await codeFor('web');
    const tokens = await redeem('web', code, verifier);
    // The racers are held at the store until all of them got there (or 1 s passed), then spend the token at once.
    const racers = 8;
    const store = server.app.get(PersistedGrantStore);
    const spend = store.consume.bind(store);
    let release = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const timer = setTimeout(release, 1_000);
    let arrived = 0;
    const consume = jest.spyOn(store, 'consume').mockImplementation(async (key, when) => {
      if (++arrived === racers) release();
      await gate;
      return spend(key, when);
    });
    let results: Array<Awaited<ReturnType<typeof tokenRequest>>>;
    try {
      results = await Promise.all(Array.from({ length: racers }, () =>
        tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string })));
      const outcomes = await Promise.all(consume.mock.results.map((result) => result.value as Promise<boolean>));
      expect(outcomes.length).toBeGreaterThan(1);
      expect(outcomes.filter((won) => won)).toHaveLength(1);
    } finally {
      clearTimeout(timer);
      consume.mockRestore();
    }
    // The losers are reuse and revoke the family: the winner answers 200 when its successor was
    // stored before that, else withdraws it; every other answer is invalid_grant, never an error.
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.json.error])).toEqual(
      Array.from({ length: results.filter((r) => r.status !== 200).length }, () => [400, 'invalid_grant']));
    const successors = results.flatMap((r) => (typeof r.json.refresh_token === 'string' ? [r.json.refresh_token] : []));
    for (const token of [tokens.json.refresh_token as string, ...successors]) {
      expect(await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: token })).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    }
  });

  it('a code race: N redemptions at once of one code, exactly one gets tokens', async () => {
    const { code, verifier } = await codeFor('web');
    const results = await Promise.all(Array.from({ length: 8 }, () => redeem('web', code, verifier)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => r.json.error)).toEqual(Array.from({ length: 7 }, () => 'invalid_grant'));
  });

  it('each grant key expires when its grant does; a code of one second is gone from Redis once expired', async () => {
    const { code, verifier } = await codeFor('web.reference');
    expect((await redeem('web.reference', code, verifier)).status).toBe(200);
    const grants = await keys('grant:*');
    expect(grants.length).toBeGreaterThanOrEqual(3);
    for (const key of grants) {
      const expiration = Number(await redis.hget(key, 'expiration'));
      const [ttl, now] = [await redis.pttl(key), Date.now()];
      expect(ttl).toBeGreaterThan(0);
      expect(Math.abs(now + ttl - expiration)).toBeLessThan(2_000);
    }

    const short = await codeFor('web.short');
    const shortKeys: string[] = [];
    for (const key of await keys('grant:*')) if (await redis.hget(key, 'clientId') === 'web.short') shortKeys.push(key);
    expect(shortKeys).toHaveLength(1);
    expect(await redis.pttl(shortKeys[0])).toBeLessThanOrEqual(1_000);
    await waitFor('the expired code to leave Redis', async () => await redis.exists(shortKeys[0]) === 0, 3_000, 50);
    expect(await redeem('web.short', short.code, short.verifier)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });

  it('Redis stopped: a token request answers 503 temporarily_unavailable naming Redis; back without a restart', async () => {
    const privateRedis = await startPrivateRedis();
    let outaged: TestApp | undefined;
    try {
      outaged = await startTestAppWithFixtures(createInteractiveFixtures(), { OPERATIONAL_STORE: 'redis', REDIS_URL: privateRedis.url });
      const baseUrl = outaged.baseUrl;
      const { code, verifier } = await codeFor('web', new FormBrowser(baseUrl));
      const tokens = await redeem('web', code, verifier, baseUrl);
      expect(tokens.status).toBe(200);

      await privateRedis.stop();
      const refused = await tokenRequest('web', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token as string }, baseUrl);
      expect(refused).toMatchObject({ status: 503, json: { error: 'temporarily_unavailable' } });
      expect(refused.headers.get('retry-after')).toEqual(expect.any(String));
      expect(String(refused.json.error_description).toLowerCase()).toContain('redis');

      // Back (empty: this Redis has no persistence): a new sign-in works without restarting the server.
      await privateRedis.start();
      await waitFor('the Redis operational store to answer again', async () => {
        const again = await codeFor('web', new FormBrowser(baseUrl)).catch(() => undefined);
        return again !== undefined && (await redeem('web', again.code, again.verifier, baseUrl)).status === 200;
      }, 15_000, 200);
    } finally {
      await outaged?.close();
      await privateRedis.destroy();
    }
  });
});
