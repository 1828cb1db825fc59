import { MAX_FAILED_USER_CODES } from '../../src/device-flow/user-code-attempts.service';
import { FormBrowser } from '../support/form-browser';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';
import { createInteractiveFixtures } from './device-fixtures';
import { authorizeDevice, poll } from './device-helpers';

/** RFC 8628 §5.1: wrong user codes are rate-limited, so codes cannot be guessed at /device. */
describe('device user-code guessing', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startTestAppWithFixtures(createInteractiveFixtures());
  });
  afterAll(() => server?.close());

  it('after too many wrong codes from one address, /device refuses further codes (even a right one) with 429', async () => {
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const guesser = new FormBrowser(server.baseUrl);
    const wrong = authorization.user_code === 'BCDF-GHJK' ? 'BCDF-GHJM' : 'BCDF-GHJK';
    for (let i = 0; i < MAX_FAILED_USER_CODES; i++) {
      const page = await guesser.submit(await guesser.get('/device'), { userCode: wrong });
      expect(page.status).toBe(400);
    }
    const blocked = await guesser.submit(await guesser.get('/device'), { userCode: authorization.user_code });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatch(/Too many wrong codes/);
    expect(blocked.body).toMatch(/name="userCode"/);
    expect(blocked.body).not.toMatch(/name="password"/);
    // The guessed device got nothing.
    expect(await poll(server.baseUrl, 'tv', authorization.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });
});
