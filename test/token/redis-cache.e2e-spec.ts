import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import { describeIfRedis, startTestApp, type TestApp } from '../support/test-app';
import { basicAuth, createTokenFixtures, postForm, type TokenFixtures } from './token-fixtures';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The jti replay cache holds across instances sharing one real Redis, and fails closed without it. */
describeIfRedis('private_key_jwt replay cache on Redis', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? '';
  const applicationName = `replay-test-${randomUUID()}`;
  let fixtures: TokenFixtures;
  let first: TestApp;
  let second: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    fixtures = await createTokenFixtures();
    const env = { CONFIG_FILE: fixtures.configFile, REDIS_URL: redisUrl, DATA_PROTECTION_APPLICATION_NAME: applicationName };
    first = await startTestApp(env);
    second = await startTestApp(env);
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    if (redis) {
      const keys = await redis.keys(`${applicationName}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    fixtures?.remove();
  });

  async function assertionFor(audience: string): Promise<string> {
    return new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: fixtures.ecClientKey.kid })
      .setIssuer('m2m.jwt.ec').setSubject('m2m.jwt.ec').setAudience(audience)
      .setIssuedAt().setExpirationTime('1m')
      .sign(fixtures.ecClientKey.privateKey);
  }
  const form = (assertion: string): Record<string, string> =>
    ({ grant_type: 'client_credentials', scope: 'api1', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });

  it('/health reports redis up', async () => {
    const health = await fetch(`${first.baseUrl}/health`);
    expect(await health.json()).toMatchObject({ details: { redis: { status: 'up' } } });
  });

  it('an assertion is accepted once and its replay refused', async () => {
    const assertion = await assertionFor(`${first.baseUrl}/connect/token`);
    expect((await postForm(`${first.baseUrl}/connect/token`, form(assertion))).status).toBe(200);
    const replay = await postForm(`${first.baseUrl}/connect/token`, form(assertion));
    expect([replay.status, replay.body.error]).toEqual([401, 'invalid_client']);
  });

  it('the same jti presented to two instances is accepted only once', async () => {
    // Each instance listens on its own port, so each assertion names its instance's token
    // endpoint; the shared jti is what the replay cache keys on.
    const jti = randomUUID();
    const sign = (baseUrl: string): Promise<string> => new SignJWT({ jti })
      .setProtectedHeader({ alg: 'ES256', kid: fixtures.ecClientKey.kid })
      .setIssuer('m2m.jwt.ec').setSubject('m2m.jwt.ec').setAudience(`${baseUrl}/connect/token`)
      .setIssuedAt().setExpirationTime('1m').sign(fixtures.ecClientKey.privateKey);
    expect((await postForm(`${first.baseUrl}/connect/token`, form(await sign(first.baseUrl)))).status).toBe(200);
    const replay = await postForm(`${second.baseUrl}/connect/token`, form(await sign(second.baseUrl)));
    expect([replay.status, replay.body.error]).toEqual([401, 'invalid_client']);
    const keys = await redis.keys(`${applicationName}:*${jti}`);
    expect(keys).toHaveLength(1);
    expect(await redis.pttl(keys[0])).toBeGreaterThan(0);
  });

  it('the very same assertion replayed to a second instance is refused', async () => {
    // Both instances publish one issuer (ISSUER_URI), so a single assertion is valid at both.
    const issuer = 'https://id.example';
    const env = { CONFIG_FILE: fixtures.configFile, REDIS_URL: redisUrl, DATA_PROTECTION_APPLICATION_NAME: applicationName, ISSUER_URI: issuer };
    const a = await startTestApp(env);
    const b = await startTestApp(env);
    try {
      const assertion = await assertionFor(`${issuer}/connect/token`);
      expect((await postForm(`${a.baseUrl}/connect/token`, form(assertion))).status).toBe(200);
      const replay = await postForm(`${b.baseUrl}/connect/token`, form(assertion));
      expect([replay.status, replay.body.error]).toEqual([401, 'invalid_client']);
      // A fresh assertion still works on the second instance: the refusal was the replay.
      expect((await postForm(`${b.baseUrl}/connect/token`, form(await assertionFor(issuer)))).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('Redis unreachable: assertions fail closed with 503 temporarily_unavailable, secrets still work', async () => {
    const down = await startTestApp({ CONFIG_FILE: fixtures.configFile, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const refused = await postForm(`${down.baseUrl}/connect/token`, form(await assertionFor(`${down.baseUrl}/connect/token`)));
      expect([refused.status, refused.body.error]).toEqual([503, 'temporarily_unavailable']);
      expect(refused.headers.get('retry-after')).toBe('5');
      const basic = await postForm(`${down.baseUrl}/connect/token`, { grant_type: 'client_credentials', scope: 'api1' }, { authorization: basicAuth('m2m', 'secret') });
      expect(basic.status).toBe(200);
      const health = await fetch(`${down.baseUrl}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ error: { redis: { status: 'down' } } });
    } finally {
      await down.close();
    }
  });
});
