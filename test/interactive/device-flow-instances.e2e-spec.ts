import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { createTestDatabase } from '../support/postgres';
import { startTestApp, type TestApp } from '../support/test-app';
import { createInteractiveFixtures, type InteractiveFixtures } from './device-fixtures';
import { FormBrowser } from '../support/form-browser';
import { approveOnDevicePage, authorizeDevice, poll } from './device-helpers';

interface SharedBackend {
  readonly name: string;
  readonly skipReason?: string;
  /** the settings both instances share, and how to remove what they stored */
  open(fixtures: InteractiveFixtures): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
  /** lets `ms` pass as the polling counters' windows see time */
  elapse(clock: FakeClock, ms: number): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * docs/endpoints.md / RFC 8628 §3.5: slow_down is counted where every instance counts (Redis, or
 * the shared database without REDIS_URL), so a device that alternates between instances behind a
 * load balancer is still held to its interval.
 */
const BACKENDS: readonly SharedBackend[] = [
  {
    name: 'sharing Redis',
    skipReason: process.env.TEST_REDIS_URL ? undefined : 'TEST_REDIS_URL unset',
    open: async (fixtures) => ({
      env: {
        DATABASE_URL: `sqlite:${join(fixtures.dir, 'shared.sqlite')}`,
        REDIS_URL: process.env.TEST_REDIS_URL ?? '',
        // A unique application name isolates this run's keys in the shared Redis.
        DATA_PROTECTION_APPLICATION_NAME: `idsrv-test-${randomBytes(6).toString('hex')}`,
      },
      drop: async () => undefined,
    }),
    // Redis ends the counters' windows on its own clock: real time has to pass (about 21 s).
    elapse: async (clock, ms) => {
      clock.advance(ms);
      await sleep(ms);
    },
  },
  {
    name: 'sharing one PostgreSQL database without Redis',
    skipReason: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset',
    open: async () => {
      const database = await createTestDatabase();
      return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
    },
    // The `attempt_counters` rows' windows end on the application clock.
    elapse: async (clock, ms) => clock.advance(ms),
  },
];

describe.each(BACKENDS.filter((b) => !b.skipReason))('device flow across two instances $name', (backend) => {
  let fixtures: InteractiveFixtures;
  let shared: { drop(): Promise<void> } | undefined;
  let a: TestApp;
  let b: TestApp;
  // One clock for both instances, as two servers behind a load balancer share (NTP) time.
  const clock = new FakeClock(new Date());

  beforeAll(async () => {
    fixtures = createInteractiveFixtures();
    const opened = await backend.open(fixtures);
    shared = opened;
    const env = { CONFIG_FILE: fixtures.configFile, ...opened.env };
    const options = { providers: [{ provide: Clock, useValue: clock }] };
    // One after the other: the first one migrates the shared database.
    a = await startTestApp(env, options);
    b = await startTestApp(env, options);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await shared?.drop();
    fixtures?.remove();
  });

  it('a poll on B right after a poll on A answers slow_down; the longer interval holds on both', async () => {
    const authorization = await authorizeDevice(a.baseUrl, 'tv', 'openid api1');
    expect(await poll(a.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(await poll(b.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });

    // The user approves on instance B's pages while the device waits out the new 10 s interval.
    const done = await approveOnDevicePage(new FormBrowser(b.baseUrl), authorization);
    expect(done.body).toMatch(/connected/i);
    await backend.elapse(clock, 5_500);
    // 5 s is no longer enough after slow_down (RFC 8628 §3.5: +5 s for all subsequent requests).
    expect(await poll(a.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    await backend.elapse(clock, 15_100);
    const tokens = await poll(b.baseUrl, 'tv', authorization.device_code);
    expect(tokens).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'openid api1' } });
  }, 60_000);
});

for (const skipped of BACKENDS.filter((b) => b.skipReason)) {
  describe.skip(`device flow across two instances ${skipped.name} (skipped: ${skipped.skipReason})`, () => {
    it('needs the test services', () => undefined);
  });
}
