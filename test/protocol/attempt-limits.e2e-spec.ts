import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MAX_FAILED_USER_CODES } from '../../src/device-flow/user-code-attempts.service';
import { UserStore } from '../../src/stores/user.store';
import { createInteractiveFixtures } from '../interactive/device-fixtures';
import { authorizeDevice, poll } from '../interactive/device-helpers';
import { FormBrowser, parseForms, type Page } from '../support/form-browser';
import { createTestDatabase } from '../support/postgres';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';

const LOGIN_MAX_FAILURES = 5;
const PARALLEL = 100;

interface Backend {
  readonly name: string;
  readonly skipReason?: string;
  readonly env: () => Record<string, string>;
}

/**
 * Attempt limits under races (docs/settings.md LOGIN_MAX_FAILURES, docs/endpoints.md device flow):
 * 100 parallel attempts are counted atomically, so no more than the limit are ever evaluated, with
 * the counters in PostgreSQL (no REDIS_URL: the `attempt_counters` table) and in the shared Redis.
 */
const BACKENDS: readonly Backend[] = [
  {
    name: 'PostgreSQL, counters in the database',
    skipReason: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset',
    env: () => ({}),
  },
  {
    name: 'PostgreSQL, Redis cache',
    skipReason: process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL ? undefined : 'TEST_DATABASE_URL or TEST_REDIS_URL unset',
    // A fresh application name: counts of other runs sharing this Redis stay apart.
    env: () => ({ REDIS_URL: process.env.TEST_REDIS_URL ?? '', DATA_PROTECTION_APPLICATION_NAME: `limits-${randomUUID()}` }),
  },
];

describe.each(BACKENDS.filter((b) => !b.skipReason))('attempt limits under parallel requests ($name)', (backend) => {
  let server: TestApp;
  let database: { url: string; drop(): Promise<void> };
  let evaluatedPasswords: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startTestAppWithFixtures(createInteractiveFixtures(), {
      DATABASE_URL: database.url,
      LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
      LOGIN_LOCKOUT: '5m',
      ...backend.env(),
    });
    evaluatedPasswords = jest.spyOn(server.app.get(UserStore), 'validateCredentials');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });
  beforeEach(() => {
    evaluatedPasswords.mockClear();
    warnings = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warnings.mockRestore());

  /** POSTs the login form of `page` as the browser would, from `clientIp` (trusted X-Forwarded-For from 127.0.0.1). */
  async function login(browser: FormBrowser, page: Page, fields: { username: string; password: string }, clientIp: string): Promise<Response> {
    const [form] = parseForms(page.body);
    return fetch(new URL(form.action || page.url, page.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader(), 'x-forwarded-for': clientIp },
      body: new URLSearchParams({ ...form.fields, ...fields }).toString(),
    });
  }

  const lockouts = () => warnings.mock.calls.filter(([message]) => typeof message === 'string' && message.startsWith('login locked out')).length;

  it(`${PARALLEL} parallel wrong passwords for one user name (from ${PARALLEL} addresses), should check at most LOGIN_MAX_FAILURES, then refuse even the right one alike`, async () => {
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.get('/account/login');
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
      login(browser, page, { username: 'alice', password: `wrong-${i}` }, `203.0.113.${i + 1}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(400));
    expect(evaluatedPasswords).toHaveBeenCalledTimes(LOGIN_MAX_FAILURES);
    expect(lockouts()).toBe(1);

    // Locked out: the right password from a fresh address is not even checked, and the page says
    // what a wrong password says (nothing tells whether the account exists or is locked).
    const refused = await login(browser, page, { username: 'ALICE', password: 'alice' }, '198.51.100.1');
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Invalid username or password.');
    expect(evaluatedPasswords).toHaveBeenCalledTimes(LOGIN_MAX_FAILURES);
    // Another user from that address is not affected.
    expect((await login(browser, page, { username: 'bob', password: 'bob' }, '198.51.100.1')).status).toBe(200);
  });

  it(`${PARALLEL} parallel wrong passwords from one address (for ${PARALLEL} user names), should check at most LOGIN_MAX_FAILURES`, async () => {
    const browser = new FormBrowser(server.baseUrl);
    const page = await browser.get('/account/login');
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
      login(browser, page, { username: `nobody-${i}`, password: 'wrong' }, '192.0.2.9')));
    expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(400));
    expect(evaluatedPasswords).toHaveBeenCalledTimes(LOGIN_MAX_FAILURES);
    expect(lockouts()).toBe(1);
    expect((await login(browser, page, { username: 'bob', password: 'bob' }, '192.0.2.9')).status).toBe(400);
    expect(evaluatedPasswords).toHaveBeenCalledTimes(LOGIN_MAX_FAILURES);
  });

  it('right passwords, should not count against the limit', async () => {
    for (let i = 0; i < 2 * LOGIN_MAX_FAILURES; i++) {
      const browser = new FormBrowser(server.baseUrl);
      const page = await browser.get('/account/login');
      expect((await login(browser, page, { username: 'bob', password: 'bob' }, '192.0.2.77')).status).toBe(200);
    }
    expect(evaluatedPasswords).toHaveBeenCalledTimes(2 * LOGIN_MAX_FAILURES);
  });

  it(`${PARALLEL} parallel wrong user codes from one address, should look up at most ${MAX_FAILED_USER_CODES} and refuse the rest with 429`, async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const guesser = new FormBrowser(server.baseUrl);
    const page = await guesser.get('/device');
    const wrong = authorization.user_code === 'BCDF-GHJK' ? 'BCDF-GHJM' : 'BCDF-GHJK';
    const answers = await Promise.all(Array.from({ length: PARALLEL }, () => guesser.submit(page, { userCode: wrong })));
    const wrongCode = answers.filter((a) => a.status === 400).length;
    const tooMany = answers.filter((a) => a.status === 429).length;
    expect({ wrongCode, tooMany }).toEqual({ wrongCode: MAX_FAILED_USER_CODES, tooMany: PARALLEL - MAX_FAILED_USER_CODES });
    expect((await guesser.submit(page, { userCode: authorization.user_code })).status).toBe(429);
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });

  it('parallel polls of one device code, should answer one and slow the others down', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const answers = await Promise.all(Array.from({ length: 20 }, () => poll(server.baseUrl, 'tv', authorization.device_code)));
    const errors = answers.map((a) => a.body.error);
    expect(errors.filter((e) => e === 'authorization_pending')).toHaveLength(1);
    expect(errors.filter((e) => e === 'slow_down')).toHaveLength(19);
  });
});

/**
 * Two instances sharing one PostgreSQL database and no Redis: the counters live in the database
 * (`attempt_counters`), so attempts and device polls spread over both instances add up to one
 * count. Counted per instance (the in-process cache), each instance would evaluate the limit on
 * its own (twice it) and answer a poll of each device on each instance.
 */
const twoInstances = process.env.TEST_DATABASE_URL ? describe : describe.skip;
twoInstances('attempt limits across two instances on one PostgreSQL database without Redis', () => {
  let servers: TestApp[] = [];
  let database: { url: string; drop(): Promise<void> };
  let evaluatedPasswords: jest.SpyInstance[];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES), LOGIN_LOCKOUT: '5m' };
    // One after the other: the first one migrates the shared database.
    servers.push(await startTestAppWithFixtures(createInteractiveFixtures(), env));
    servers.push(await startTestAppWithFixtures(createInteractiveFixtures(), env));
    evaluatedPasswords = servers.map((server) => jest.spyOn(server.app.get(UserStore), 'validateCredentials'));
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) await server.close();
    servers = [];
    await database?.drop();
  });

  const evaluatedOn = () => evaluatedPasswords.map((spy) => spy.mock.calls.length);

  it(`${PARALLEL} parallel wrong passwords for one user name spread over both instances, should check at most LOGIN_MAX_FAILURES in all`, async () => {
    const sides = await Promise.all(servers.map(async (server) => {
      const browser = new FormBrowser(server.baseUrl);
      return { browser, page: await browser.get('/account/login') };
    }));
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => {
      const { browser, page } = sides[i % 2];
      const [form] = parseForms(page.body);
      return fetch(new URL(form.action || page.url, page.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader(), 'x-forwarded-for': `203.0.113.${i + 1}` },
        body: new URLSearchParams({ ...form.fields, username: 'alice', password: `wrong-${i}` }).toString(),
      });
    }));
    expect(answers.map((a) => a.status)).toEqual(Array(PARALLEL).fill(400));
    const [first, second] = evaluatedOn();
    expect(first + second).toBe(LOGIN_MAX_FAILURES);
  });

  it(`${PARALLEL} parallel wrong user codes from one address spread over both instances, should look up at most ${MAX_FAILED_USER_CODES} in all`, async () => {
    const sides = await Promise.all(servers.map(async (server) => {
      const guesser = new FormBrowser(server.baseUrl);
      return { guesser, page: await guesser.get('/device') };
    }));
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => sides[i % 2].guesser.submit(sides[i % 2].page, { userCode: 'BCDF-GHJK' })));
    const wrongCode = answers.filter((a) => a.status === 400).length;
    const tooMany = answers.filter((a) => a.status === 429).length;
    expect({ wrongCode, tooMany }).toEqual({ wrongCode: MAX_FAILED_USER_CODES, tooMany: PARALLEL - MAX_FAILED_USER_CODES });
  });

  it('parallel polls of one device code spread over both instances, should answer one and slow the others down', async () => {
    const authorization = await authorizeDevice(servers[0].baseUrl, 'tv', 'api1');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => poll(servers[i % 2].baseUrl, 'tv', authorization.device_code)));
    const errors = answers.map((a) => a.body.error);
    expect(errors.filter((e) => e === 'authorization_pending')).toHaveLength(1);
    expect(errors.filter((e) => e === 'slow_down')).toHaveLength(19);
  });
});

for (const skipped of BACKENDS.filter((b) => b.skipReason)) {
  describe.skip(`attempt limits under parallel requests (${skipped.name}; skipped: ${skipped.skipReason})`, () => {
    it('needs the test databases', () => undefined);
  });
}
