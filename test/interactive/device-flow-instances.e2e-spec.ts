import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { describeIfRedis, startTestApp, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, type InteractiveFixtures } from './device-fixtures';
import { FormBrowser } from '../support/form-browser';
import { approveOnDevicePage, authorizeDevice, poll } from './device-helpers';

/**
 * docs/endpoints.md / RFC 8628 §3.5: slow_down is driven by throttling in the distributed cache, so a
 * device that alternates between instances behind a load balancer is still held to its interval.
 */
describeIfRedis('device flow across two instances sharing Redis', () => {
  let fixtures: InteractiveFixtures;
  let a: TestApp;
  let b: TestApp;
  // One clock for both instances, as two servers behind a load balancer share (NTP) time.
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    fixtures = createInteractiveFixtures();
    const env = {
      CONFIG_FILE: fixtures.configFile,
      DATABASE_URL: `sqlite:${join(fixtures.dir, 'shared.sqlite')}`,
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      // A unique application name isolates this run's keys in the shared Redis.
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-test-${randomBytes(6).toString('hex')}`,
    };
    const options = { providers: [{ provide: Clock, useValue: clock }] };
    a = await startTestApp(env, options);
    b = await startTestApp(env, options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    fixtures?.remove();
  });

  it('a poll on B right after a poll on A answers slow_down; the longer interval holds on both', async () => {
    const authorization = await authorizeDevice(a.baseUrl, 'tv', 'openid api1');
    expect(await poll(a.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(await poll(b.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });

    // The user approves on instance B's pages while the device waits out the new 10 s interval.
    const done = await approveOnDevicePage(new FormBrowser(b.baseUrl), authorization);
    expect(done.body).toMatch(/connected/i);
    clock.advance(5_500);
    // 5 s is no longer enough after slow_down (RFC 8628 §3.5: +5 s for all subsequent requests).
    expect(await poll(a.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    clock.advance(15_100);
    const tokens = await poll(b.baseUrl, 'tv', authorization.device_code);
    expect(tokens).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'openid api1' } });
  });
});
