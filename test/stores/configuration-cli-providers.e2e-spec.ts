import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { DataProtectionProvider } from '../../src/data-protection/data-protector';
import { externalProviderSecretProtector, revealExternalProviderSecret } from '../../src/stores/external-provider-secret';
import { ExternalProviderStore } from '../../src/stores/external-provider.store';
import { runCli } from '../support/cli-process';
import { startTestApp, writeJson } from '../support/test-app';

const ROOT = resolve(__dirname, '../..');

/** `config import` / `config export` with external providers: the secret stored protected, never printed, kept when omitted. */
describe('config import/export of external providers (CLI, SQLite)', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-cli-providers-'));
    env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      CONFIG_FILE: join(ROOT, 'config/identity.json'),
      CONFIGURATION_STORE: 'database',
      LOG_LEVEL: 'error',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function ok(args: string[]): Promise<string> {
    const run = await runCli(args, { ...process.env, ...env });
    expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
    return run.stdout;
  }

  it('import should store the secret protected; export should omit it; a re-import without it should keep it', async () => {
    const demo = JSON.parse(readFileSync(join(ROOT, 'config/identity.json'), 'utf8')) as Record<string, unknown>;
    const provider = { scheme: 'corp', authority: 'https://sso.corp.example', clientId: 'identity', clientSecret: 'cli-provider-secret' };
    await ok(['migrate']);
    await ok(['config', 'import', writeJson(dir, 'with-secret.json', { ...demo, externalProviders: [provider] })]);

    const exported = JSON.parse(await ok(['config', 'export'])) as { externalProviders: Record<string, unknown>[] };
    expect(exported.externalProviders).toEqual([expect.objectContaining({ scheme: 'corp', authority: 'https://sso.corp.example' })]);
    expect(exported.externalProviders[0]).not.toHaveProperty('clientSecret');

    const { clientSecret: _secret, ...withoutSecret } = provider;
    await ok(['config', 'import', writeJson(dir, 'without-secret.json', { ...demo, externalProviders: [{ ...withoutSecret, displayName: 'Corp' }] })]);

    const server = await startTestApp(env);
    try {
      const rows = await server.app.get(DataSource).query('SELECT display_name, client_secret FROM configuration_external_providers') as { display_name: string; client_secret: string }[];
      expect(rows).toHaveLength(1);
      expect(rows[0].display_name).toBe('Corp');
      expect(rows[0].client_secret).not.toContain('cli-provider-secret');
      const stored = await server.app.get(ExternalProviderStore).findByScheme('corp');
      if (!stored) throw new Error('the provider was not imported');
      expect(await revealExternalProviderSecret(stored, externalProviderSecretProtector(server.app.get(DataProtectionProvider)))).toBe('cli-provider-secret');
    } finally {
      await server.close();
    }
  }, 90_000);
});
