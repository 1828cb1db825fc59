import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error';
import { ClientStore } from '../../src/stores/client.store';
import { UserStore } from '../../src/stores/user.store';
import { startTestApp, writeJson } from '../support/test-app';

describe('configuration file at start-up', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'idsrv-config-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start, with the demo config/identity.json, should serve its clients and users', async () => {
    const testApp = await startTestApp();
    try {
      const clients = testApp.app.get(ClientStore);
      expect(await clients.findClientById('m2m')).toMatchObject({ clientId: 'm2m', allowedScopes: ['api1', 'api2'] });
      expect(await testApp.app.get(UserStore).validateCredentials('alice', 'alice')).toMatchObject({ subjectId: '1' });
    } finally {
      await testApp.close();
    }
  });

  it('start, when the file is invalid, should stop with the JSON path of each problem', async () => {
    const configFile = writeJson(dir, 'invalid.json', {
      clients: [
        { clientId: 'ok', clientSecrets: [{ value: 's' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'] },
        { clientId: 'web', clientSecrets: [{ value: 's' }], allowedGrantTypes: ['authorization_code'], redirectUris: ['/cb'], requirePcke: false },
      ],
      apiScopes: [{ name: 'api1' }],
    });
    const error: unknown = await startTestApp({ CONFIG_FILE: configFile }).then(
      async (started) => { await started.close(); return undefined; },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`Invalid configuration in ${configFile}`);
    expect((error as ConfigError).problems).toEqual([
      'clients[1].redirectUris[0]: must be an absolute URI',
      'clients[1].requirePcke: unknown field (check the spelling; see docs/configuration-file.md)',
    ]);
  });

  it('start, when the file is not JSON, should name the file and position', async () => {
    const configFile = join(dir, 'broken.json');
    writeFileSync(configFile, '{ "clients": [ }');
    const error: unknown = await startTestApp({ CONFIG_FILE: configFile }).then(
      async (started) => { await started.close(); return undefined; },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(new RegExp(`in ${configFile}:\\n  - invalid JSON at line 1, column 16: Unexpected token`));
  });
});
