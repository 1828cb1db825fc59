import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { DataProtectionProvider } from '../../src/data-protection/data-protector';
import { exportConfiguration } from '../../src/stores/configuration-store.cli';
import { externalProviderSecretProtector, revealExternalProviderSecret } from '../../src/stores/external-provider-secret';
import { ExternalProviderStore } from '../../src/stores/external-provider.store';
import { DatabaseConfiguration } from '../../src/stores/typeorm-config';
import { ConfigurationExternalProviderEntity } from '../../src/stores/typeorm-config/configuration.entities';
import { createTestDatabase } from '../support/postgres';
import { startTestAppWithFixtures, writeJson, type TestApp, type TestAppFixtures } from '../support/test-app';

const ADMIN_SECRET = 'admin-secret';
const SEEDED_SECRET = 'seeded-provider-secret';

/** config/identity.json, the admin client, and one provider with a secret (seeded into the database store). */
function fixtures(): TestAppFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-admin-providers-'));
  const file = JSON.parse(readFileSync('config/identity.json', 'utf8')) as Record<string, unknown[]>;
  file.apiScopes.push({ name: 'identity.admin' });
  file.apiResources.push({ name: 'urn:identity', scopes: ['identity.admin'] });
  file.clients.push({
    clientId: 'admin', clientSecrets: [{ type: 'SharedSecret', value: ADMIN_SECRET }],
    allowedGrantTypes: ['client_credentials'], allowedScopes: ['identity.admin'],
  });
  file.externalProviders = [{ scheme: 'seeded', authority: 'https://sso.seeded.example', clientId: 'idsrv', clientSecret: SEEDED_SECRET }];
  return { configFile: writeJson(dir, 'identity.json', file), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const PROVIDER = {
  scheme: 'corp',
  displayName: 'Corporate SSO',
  authority: 'https://sso.corp.example',
  clientId: 'identity',
  clientSecret: 'corp-provider-secret',
  scopes: ['openid', 'profile', 'email'],
  claimMappings: { email: 'email', name: 'name' },
  autoProvision: true,
};

const DATABASES = [
  { name: 'SQLite', url: async () => ({ url: 'sqlite::memory:', drop: async () => undefined }) },
  ...(process.env.TEST_DATABASE_URL ? [{ name: 'PostgreSQL', url: createTestDatabase }] : []),
];

describe.each(DATABASES)('admin API: /admin/external-providers (secrets write-only, protected at rest) on $name', (database) => {
  let app: TestApp;
  let token: string;
  let drop: () => Promise<unknown>;

  beforeAll(async () => {
    const created = await database.url();
    drop = created.drop;
    app = await startTestAppWithFixtures(fixtures(), { ADMIN_API_ENABLED: 'true', CONFIGURATION_STORE: 'database', DATABASE_URL: created.url });
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`admin:${ADMIN_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'identity.admin' }).toString(),
    });
    token = ((await response.json()) as { access_token: string }).access_token;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
    const response = await fetch(`${app.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  async function storedSecretColumn(scheme: string): Promise<string | null> {
    const row = await app.app.get(DataSource).getRepository(ConfigurationExternalProviderEntity).findOneBy({ scheme });
    return row?.clientSecret ?? null;
  }

  async function revealed(scheme: string): Promise<string | undefined> {
    const provider = await app.app.get(ExternalProviderStore).findByScheme(scheme);
    if (!provider) throw new Error(`no provider ${scheme}`);
    return revealExternalProviderSecret(provider, externalProviderSecretProtector(app.app.get(DataProtectionProvider)));
  }

  it('seeding from the file should store the provider secret protected, never in plain text', async () => {
    const column = await storedSecretColumn('seeded');
    expect(column).toBeTruthy();
    expect(column).not.toContain(SEEDED_SECRET);
    expect(await revealed('seeded')).toBe(SEEDED_SECRET);
  });

  it('create (201), read, list: the client secret is never returned and is stored protected', async () => {
    const created = await call('POST', '/admin/external-providers', PROVIDER);
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('corp-provider-secret');
    expect(created.json).toMatchObject({ scheme: 'corp', authority: PROVIDER.authority, enabled: true, autoProvision: true });
    expect(created.json).not.toHaveProperty('clientSecret');

    const one = await call('GET', '/admin/external-providers/corp');
    expect(one.status).toBe(200);
    expect(one.json).not.toHaveProperty('clientSecret');
    const list = await call('GET', '/admin/external-providers');
    expect(list.text).not.toContain('secret"');
    expect((list.json as unknown as { scheme: string }[]).map((p) => p.scheme)).toEqual(['seeded', 'corp']);

    const column = await storedSecretColumn('corp');
    expect(column).not.toContain('corp-provider-secret');
    expect(await revealed('corp')).toBe('corp-provider-secret');
    expect((await call('POST', '/admin/external-providers', PROVIDER)).status).toBe(409);
  });

  it('replace without clientSecret should keep the stored secret; with one, should change it', async () => {
    const { clientSecret: _secret, ...withoutSecret } = PROVIDER;
    const replaced = await call('PUT', '/admin/external-providers/corp', { ...withoutSecret, displayName: 'Corp' });
    expect(replaced.status).toBe(200);
    expect(replaced.json.displayName).toBe('Corp');
    expect(await revealed('corp')).toBe('corp-provider-secret');
    await call('PUT', '/admin/external-providers/corp', { ...PROVIDER, clientSecret: 'rotated-secret' });
    expect(await revealed('corp')).toBe('rotated-secret');
  });

  it('the login page should offer the providers of the database store', async () => {
    await app.app.get(DatabaseConfiguration).refresh();
    const page = await (await fetch(`${app.baseUrl}/account/login`)).text();
    expect(page).toContain('href="/account/external?scheme=corp"');
    expect(page).toContain('href="/account/external?scheme=seeded"');
  });

  it('an invalid body should answer 400 with the JSON path of each problem', async () => {
    const answer = await call('POST', '/admin/external-providers', {
      ...PROVIDER, scheme: 'bad scheme', authority: 'http://sso.corp.example', scopes: ['profile'], claimMappings: { sub: 'email' },
    });
    expect(answer.status).toBe(400);
    const problems = answer.json.problems as string[];
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^scheme: /),
      expect.stringMatching(/^authority: must use https/),
      expect.stringMatching(/^scopes: must include "openid"/),
      expect.stringMatching(/^claimMappings\.sub: /),
    ]));
  });

  it('config export should list the providers without their secrets', async () => {
    const snapshot = await app.app.get(DatabaseConfiguration).refresh();
    const exported = exportConfiguration(snapshot.clients, snapshot.resources, snapshot.externalProviders);
    const providers = exported.externalProviders as Record<string, unknown>[];
    expect(providers.map((p) => p.scheme)).toEqual(['seeded', 'corp']);
    for (const p of providers) expect(p).not.toHaveProperty('clientSecret');
    expect(JSON.stringify(exported)).not.toMatch(/rotated-secret|seeded-provider-secret/);
  });

  it('delete should answer 204 and the provider is gone', async () => {
    expect((await call('DELETE', '/admin/external-providers/corp')).status).toBe(204);
    expect((await call('GET', '/admin/external-providers/corp')).status).toBe(404);
  });
});
