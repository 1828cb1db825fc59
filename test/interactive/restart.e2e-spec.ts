import { join } from 'node:path';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';
import {
  createInteractiveFixtures, createPostgresInteractiveFixtures, type InteractiveFixtures, type PostgresInteractiveFixtures,
} from './device-fixtures';
import { FormBrowser } from '../support/form-browser';
import { authorizeDevice, obtainDeviceTokens, poll, postForm } from './device-helpers';

/**
 * Sessions and refresh tokens live in the database, protected with keys that outlive the
 * process: a restarted instance (or another one on the same database) honours both.
 */
async function survivesRestart(env: Record<string, string>): Promise<void> {
  let server: TestApp | undefined = await startTestApp(env);
  try {
    const browser = new FormBrowser(server.baseUrl);
    const tokens = await obtainDeviceTokens(server.baseUrl, 'tv', 'openid api1 offline_access', browser);
    const sessionCookie = browser.cookies.get('idsrv')?.value;
    expect(sessionCookie).toBeDefined();
    await server.close();
    server = undefined;

    server = await startTestApp(env);
    const refreshed = await postForm(server.baseUrl, '/connect/token', {
      grant_type: 'refresh_token', client_id: 'tv', refresh_token: tokens.refresh_token as string,
    });
    expect(refreshed).toMatchObject({ status: 200, body: { scope: 'openid api1 offline_access' } });

    // The same browser is still signed in on the new process: the code goes straight to the confirmation.
    const again = new FormBrowser(server.baseUrl);
    again.cookies.set('idsrv', { value: sessionCookie ?? '', httpOnly: true });
    const authorization = await authorizeDevice(server.baseUrl, 'tv', 'api1');
    const confirmation = await again.submit(await again.get(authorization.verification_uri_complete), {});
    expect(confirmation.body).not.toMatch(/name="password"/);
    const page = await again.submit(confirmation, {}, { name: 'decision', value: 'allow' });
    expect(page.body).toMatch(/connected/i);
    expect((await poll(server.baseUrl, 'tv', authorization.device_code)).status).toBe(200);
  } finally {
    await server?.close();
  }
}

describe('restart on the same database', () => {
  let fixtures: InteractiveFixtures;
  beforeAll(() => { fixtures = createInteractiveFixtures(); });
  afterAll(() => fixtures?.remove());

  it('SQLite file with a file key store: sessions and refresh tokens survive', async () => {
    await survivesRestart({
      CONFIG_FILE: fixtures.configFile,
      DATABASE_URL: `sqlite:${join(fixtures.dir, 'identity.sqlite')}`,
      DATA_PROTECTION_KEY_STORE: 'file',
      DATA_PROTECTION_KEY_PATH: join(fixtures.dir, 'dp-keys'),
    });
  });
});

describeIfPostgres('restart on the same PostgreSQL database', () => {
  let postgres: PostgresInteractiveFixtures;
  beforeAll(async () => { postgres = await createPostgresInteractiveFixtures(); });
  afterAll(() => postgres?.remove());

  it('PostgreSQL with the database key store: sessions and refresh tokens survive', async () => {
    await survivesRestart(postgres.env);
  });
});
