import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { APP_CONFIG, loadAppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config-error';
import { SupportedGrantTypes } from '../../protocol/grant-types';
import { ClientStore } from '../client.store';
import { ResourceStore } from '../resource.store';
import { UserStore } from '../user.store';
import {
  ConfigFileClientStore, ConfigFileResourceStore, ConfigFileUserStore, IDENTITY_CONFIGURATION, identityConfigurationHolderProvider,
  identityConfigurationProvider,
} from './index';

@Module({})
class TestStoresModule {
  static with(configFile: string, grantTypes = ['client_credentials', 'authorization_code']): DynamicModule {
    return {
      module: TestStoresModule,
      providers: [
        { provide: APP_CONFIG, useValue: loadAppConfig({ CONFIG_FILE: configFile }) },
        { provide: SupportedGrantTypes, useValue: new SupportedGrantTypes(grantTypes) },
        identityConfigurationHolderProvider,
        identityConfigurationProvider,
        { provide: ClientStore, useClass: ConfigFileClientStore },
        { provide: ResourceStore, useClass: ConfigFileResourceStore },
        { provide: UserStore, useClass: ConfigFileUserStore },
      ],
    };
  }
}

describe('identityConfigurationProvider', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'identity-provider-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('when CONFIG_FILE is valid, should load it once and back the three stores', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, JSON.stringify({
      clients: [{ clientId: 'm2m', clientSecrets: [{ value: 'secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'] }],
      apiScopes: [{ name: 'api1' }],
      apiResources: [{ name: 'urn:api1', scopes: ['api1'] }],
      users: [{ subjectId: '1', username: 'alice', password: 'alice' }],
    }));
    const app = await NestFactory.createApplicationContext(TestStoresModule.with(path), { logger: false, abortOnError: false });
    try {
      expect(app.get(IDENTITY_CONFIGURATION).clients).toHaveLength(1);
      expect(await app.get(ClientStore).findClientById('m2m')).toMatchObject({ clientId: 'm2m' });
      expect((await app.get(ResourceStore).getAllResources()).apiResources).toMatchObject([{ name: 'urn:api1' }]);
      expect(await app.get(UserStore).validateCredentials('alice', 'alice')).toMatchObject({ subjectId: '1' });
    } finally {
      await app.close();
    }
  });

  it('when CONFIG_FILE is invalid, should stop start-up with the JSON path of the problem', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ clients: [{ clientId: 'web', requireClientSecret: false, allowedGrantTypes: ['authorization_code'], redirectUris: ['/cb'] }] }));
    const error: unknown = await NestFactory.createApplicationContext(TestStoresModule.with(path), { logger: false, abortOnError: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`Invalid configuration in ${path}`);
    expect((error as ConfigError).problems).toEqual(['clients[0].redirectUris[0]: must be an absolute URI']);
  });

  it('when a client lists a grant outside the registry, should stop start-up naming it; inside it, should load', async () => {
    const path = join(dir, 'extension-grant.json');
    await writeFile(path, JSON.stringify({
      clients: [{ clientId: 'x', clientSecrets: [{ value: 's' }], allowedGrantTypes: ['client_credentials', 'urn:example:magic'] }],
    }));
    const error: unknown = await NestFactory.createApplicationContext(TestStoresModule.with(path), { logger: false, abortOnError: false })
      .catch((e: unknown) => e);
    expect((error as ConfigError).problems).toEqual([
      'clients[0].allowedGrantTypes[1]: must be one of client_credentials, authorization_code, got "urn:example:magic"',
    ]);

    const app = await NestFactory.createApplicationContext(
      TestStoresModule.with(path, ['client_credentials', 'urn:example:magic']), { logger: false, abortOnError: false },
    );
    try {
      expect(await app.get(ClientStore).findClientById('x')).toMatchObject({ allowedGrantTypes: ['client_credentials', 'urn:example:magic'] });
    } finally {
      await app.close();
    }
  });
});
