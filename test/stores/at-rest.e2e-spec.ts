import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { createInteractiveFixtures, REDIRECT_URI } from '../interactive/interactive-fixtures';
import { approveOnDevicePage, authorizeDevice, poll } from '../interactive/device-helpers';
import { FormBrowser, type Page } from '../support/form-browser';
import { createTestDatabase } from '../support/postgres';
import { startTestAppWithFixtures, type TestApp } from '../support/test-app';

/** What the interactive fixtures' user alice has that must never be stored in clear. */
const PERSONAL_DATA = ['Alice Smith', 'alice@example.com'];

interface Database {
  readonly name: string;
  readonly skipReason?: string;
  /** DATABASE_URL for the server, given its scratch folder */
  open(): Promise<{ url: (dir: string) => string; drop(): Promise<void> }>;
}

const DATABASES: readonly Database[] = [
  {
    name: 'SQLite (file)',
    async open() {
      return { url: (dir) => `sqlite:${join(dir, 'identity.sqlite')}`, drop: async () => undefined };
    },
  },
  {
    name: 'PostgreSQL',
    skipReason: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset',
    async open() {
      const database = await createTestDatabase();
      return { url: () => database.url, drop: () => database.drop() };
    },
  },
];

/**
 * docs/deployment.md "State at rest": after a login, tokens (JWT, reference,
 * refresh), a remembered consent and a device flow, no table holds the user's name or e-mail in
 * clear; only lookup metadata is readable.
 */
describe.each(DATABASES.filter((d) => !d.skipReason))('state at rest ($name)', (database) => {
  let server: TestApp;
  let databaseUrl: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const opened = await database.open();
    drop = opened.drop;
    const fixtures = createInteractiveFixtures([{
      clientId: 'tv', requireClientSecret: false, requireConsent: true, allowOfflineAccess: true,
      allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      allowedScopes: ['openid', 'profile', 'email'],
    }]);
    databaseUrl = opened.url(join(fixtures.configFile, '..'));
    server = await startTestAppWithFixtures(fixtures, { DATABASE_URL: databaseUrl });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  /** Every row of every table, as text, on a connection of its own. */
  async function everyRow(): Promise<Array<{ table: string; text: string }>> {
    const dataSource = await new DataSource(dataSourceOptionsFor(databaseUrl)).initialize();
    try {
      const tables: Array<{ name: string }> = dataSource.options.type === 'postgres'
        ? await dataSource.query("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
        : await dataSource.query("SELECT name FROM sqlite_master WHERE type = 'table'");
      const rows: Array<{ table: string; text: string }> = [];
      for (const { name } of tables) {
        for (const row of await dataSource.query(`SELECT * FROM "${name}"`) as unknown[]) rows.push({ table: name, text: JSON.stringify(row) });
      }
      return rows;
    } finally {
      await dataSource.destroy();
    }
  }

  async function expectNothingInClear(): Promise<void> {
    const rows = await everyRow();
    const tables = new Set(rows.map((row) => row.table));
    // The scan saw the operational tables with rows in them (a scan of nothing would pass).
    for (const table of ['persisted_grants', 'server_side_sessions']) expect(tables).toContain(table);
    const found = rows.flatMap((row) => PERSONAL_DATA.filter((text) => row.text.includes(text)).map((text) => `${row.table}: ${text}`));
    expect(found).toEqual([]);
  }

  /** Code flow in `browser` up to the redirect to the client: login and consent when asked. */
  async function authorize(browser: FormBrowser, clientId: string): Promise<{ page: Page; verifier: string }> {
    const verifier = randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile email api1 offline_access',
      state: 's', nonce: 'n', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    let page = await browser.get(`/connect/authorize?${query}`);
    if (/name="password"/.test(page.body)) page = await browser.submit(page, { username: 'alice', password: 'alice' });
    if (/name="decision"/.test(page.body)) page = await browser.submit(page, { rememberConsent: 'true' }, { name: 'decision', value: 'allow' });
    return { page, verifier };
  }

  async function token(clientId: string, params: Record<string, string>): Promise<Record<string, string>> {
    const response = await fetch(`${server.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:secret`).toString('base64')}` },
      body: new URLSearchParams(params).toString(),
    });
    const body = (await response.json()) as Record<string, string>;
    if (response.status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return body;
  }

  it('after login, consent, tokens and a device flow, should find the user\'s name and e-mail in no table', async () => {
    const browser = new FormBrowser(server.baseUrl);
    for (const clientId of ['web.consent', 'web.reference']) {
      const { page, verifier } = await authorize(browser, clientId);
      const code = new URL(page.redirectedTo ?? 'http://missing/').searchParams.get('code');
      expect(code).toEqual(expect.any(String));
      const tokens = await token(clientId, { grant_type: 'authorization_code', code: code as string, redirect_uri: REDIRECT_URI, code_verifier: verifier });
      const refreshed = await token(clientId, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
      const userinfo = await fetch(`${server.baseUrl}/connect/userinfo`, { headers: { authorization: `Bearer ${refreshed.access_token}` } });
      // The claims are there to be protected: the server hands them out.
      expect(await userinfo.json()).toMatchObject({ name: 'Alice Smith', email: 'alice@example.com' });
    }

    const device = await authorizeDevice(server.baseUrl, 'tv', 'openid profile email offline_access');
    await approveOnDevicePage(browser, device);
    await expectNothingInClear();
    expect(await poll(server.baseUrl, 'tv', device.device_code)).toMatchObject({ status: 200 });
    await expectNothingInClear();
  });
});

for (const skipped of DATABASES.filter((d) => d.skipReason)) {
  describe.skip(`state at rest (${skipped.name}; skipped: ${skipped.skipReason})`, () => {
    it('needs the test database', () => undefined);
  });
}
