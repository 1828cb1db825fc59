import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InMemoryDistributedCache } from '../../src/caching/in-memory-distributed-cache';
import { loadAppConfig } from '../../src/config/app-config';
import {
  ConfigFileClientStore, ConfigFileExternalProviderStore, ConfigFileResourceStore, ConfigurationReloadMetrics, IdentityConfigurationHolder,
} from '../../src/stores/config-file';
import { parseIdentityConfig, type IdentityConfiguration } from '../../src/stores/config-file/identity-config.loader';
import { ConfigurationClientEntity } from '../../src/stores/typeorm-config/configuration.entities';
import {
  CONFIGURATION_RETRY_MS, CONFIGURATION_VERSION_POLL_MS, DatabaseConfiguration, TypeOrmClientStore, TypeOrmExternalProviderStore, TypeOrmResourceStore,
} from '../../src/stores/typeorm-config';
import { readConfigurationVersion } from '../../src/stores/typeorm-config/configuration-tables';
import { CreateConfigurationVersion1795420000900 } from '../../migrations/1795420000900-create-configuration-version';
import { WriteAccess } from '../../src/common/write-access';
import { FakeClock } from '../support/fakes/fake-clock';
import { describeEachStoreDatabase, type OpenedDatabase } from '../support/store-databases';

const JWK = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };

/** A client and resources with every field set away from its default. */
const RICH_CONFIG = {
  clients: [
    {
      clientId: 'rich',
      clientName: 'Rich client',
      logoUri: 'https://rich.example/logo.png',
      enabled: false,
      clientSecrets: [
        { type: 'SharedSecret', value: 'plain-secret', expiration: '2031-01-01T00:00:00Z' },
        { type: 'SharedSecret', value: `sha256:${createHash('sha256').update('other').digest('base64')}` },
        { type: 'JsonWebKey', value: JWK, expiration: '2032-02-02T00:00:00Z' },
      ],
      requireClientSecret: true,
      allowedGrantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      allowedScopes: ['openid', 'profile', 'api1', 'offline_access'],
      redirectUris: ['https://rich.example/cb', 'https://rich.example/cb2'],
      postLogoutRedirectUris: ['https://rich.example/'],
      backChannelLogoutUri: 'https://rich.example/bc',
      requirePkce: false,
      requireConsent: true,
      allowOfflineAccess: true,
      accessTokenType: 'reference',
      accessTokenLifetime: 111,
      identityTokenLifetime: 222,
      authorizationCodeLifetime: 33,
      deviceCodeLifetime: 44,
      refreshTokenUsage: 'reuse',
      refreshTokenReuseInterval: 7,
      refreshTokenExpiration: 'sliding',
      absoluteRefreshTokenLifetime: 0,
      slidingRefreshTokenLifetime: 555,
      allowedTokenSigningAlgorithms: ['ES256', 'PS256'],
      alwaysIncludeUserClaimsInIdToken: true,
      requirePushedAuthorization: true,
    },
    { clientId: 'm2m', clientSecrets: [{ type: 'SharedSecret', value: 'm2m-secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'] },
    { clientId: 'spa', requireClientSecret: false, allowedGrantTypes: ['authorization_code'], allowedScopes: ['openid'], redirectUris: ['https://spa.example/cb'] },
  ],
  identityResources: [
    { name: 'openid', userClaims: ['sub'] },
    { name: 'profile', displayName: 'Your profile', userClaims: ['name', 'given_name'] },
  ],
  apiScopes: [{ name: 'api1', displayName: 'API 1', userClaims: ['role'] }, { name: 'api2', userClaims: [] }],
  apiResources: [
    { name: 'urn:zeta', scopes: ['api2'] },
    {
      name: 'urn:api1', displayName: 'API one', scopes: ['api1', 'api2'],
      apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret', expiration: '2033-03-03T00:00:00Z' }],
      allowedAccessTokenSigningAlgorithms: ['RS256'],
    },
  ],
  users: [],
  // Public clients of their providers: a provider's client secret is protected at seeding, which needs
  // data protection (test/admin/admin-external-providers.e2e-spec.ts covers it on both databases).
  externalProviders: [
    {
      scheme: 'corp', displayName: 'Corporate SSO', enabled: false, authority: 'https://sso.corp.example', clientId: 'identity',
      scopes: ['openid', 'email'], claimMappings: { email: 'mail', name: 'displayName' }, autoProvision: true,
    },
    { scheme: 'partner', authority: 'https://partner.example/realm', clientId: 'idsrv' },
  ],
};

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

describeEachStoreDatabase('Database configuration store', (database) => {
  let opened: OpenedDatabase;
  let file: IdentityConfiguration;
  const extra: DataSource[] = [];
  /** every instance a test started: stopped after it (their version poll with them) */
  const started: DatabaseConfiguration[] = [];

  /** An instance with its own in-process distributed cache: no message reaches another one. */
  function configurationOn(
    dataSource: DataSource, clock = new FakeClock(), env: Record<string, string> = {}, cache = new InMemoryDistributedCache(clock),
  ): DatabaseConfiguration {
    const config = loadAppConfig({ CONFIGURATION_STORE: 'database', ...env });
    const configuration = new DatabaseConfiguration(dataSource, config, file, clock, cache, new ConfigurationReloadMetrics());
    started.push(configuration);
    return configuration;
  }

  async function clearTables(): Promise<void> {
    for (const table of ['configuration_clients', 'configuration_identity_resources', 'configuration_api_scopes', 'configuration_api_resources', 'configuration_external_providers']) {
      await opened.dataSource.query(`DELETE FROM ${table}`);
    }
  }

  beforeAll(async () => {
    opened = await database.open();
    file = await parseIdentityConfig(JSON.stringify(RICH_CONFIG), 'rich.json');
  });
  afterAll(async () => {
    for (const dataSource of extra) if (dataSource.isInitialized) await dataSource.destroy();
    await opened?.close();
  });
  beforeEach(clearTables);
  afterEach(async () => {
    for (const configuration of started.splice(0)) await configuration.onModuleDestroy();
  });

  it('seeded from the file, should return every client, resource and external provider exactly as the file store does, in file order', async () => {
    const configuration = configurationOn(opened.dataSource);
    await configuration.onModuleInit();
    const clients = new TypeOrmClientStore(configuration);
    const fileClients = new ConfigFileClientStore(new IdentityConfigurationHolder(file));
    for (const id of ['rich', 'm2m', 'spa']) {
      expect(await clients.findClientById(id)).toEqual(await fileClients.findClientById(id));
    }
    expect(await clients.findClientById('unknown')).toBeUndefined();
    expect(await new TypeOrmResourceStore(configuration).getAllResources()).toEqual(await new ConfigFileResourceStore(new IdentityConfigurationHolder(file)).getAllResources());
    const providers = await new TypeOrmExternalProviderStore(configuration).getAll();
    expect(providers).toEqual(await new ConfigFileExternalProviderStore(new IdentityConfigurationHolder(file)).getAll());
    expect(providers.map((p) => p.scheme)).toEqual(['corp', 'partner']);

    const rich = await clients.findClientById('rich');
    expect(rich?.clientSecrets).toEqual([
      { type: 'SharedSecret', sha256: sha256('plain-secret'), expiration: new Date('2031-01-01T00:00:00Z') },
      { type: 'SharedSecret', sha256: sha256('other') },
      { type: 'JsonWebKey', jwk: JWK, expiration: new Date('2032-02-02T00:00:00Z') },
    ]);
    await configuration.onModuleDestroy();
  });

  it('should store shared secrets only as their SHA-256, never the plaintext', async () => {
    const configuration = configurationOn(opened.dataSource);
    await configuration.onModuleInit();
    const rows = JSON.stringify(await opened.dataSource.query('SELECT * FROM configuration_clients'))
      + JSON.stringify(await opened.dataSource.query('SELECT * FROM configuration_api_resources'));
    expect(rows).not.toContain('plain-secret');
    expect(rows).not.toContain('m2m-secret');
    expect(rows).not.toContain('api1-secret');
    expect(rows).toContain(`sha256:${sha256('m2m-secret').toString('base64')}`);
    await configuration.onModuleDestroy();
  });

  it('a store that already holds configuration, should not be seeded again', async () => {
    await configurationOn(opened.dataSource).onModuleInit();
    await opened.dataSource.query("DELETE FROM configuration_clients WHERE client_id = 'spa'");
    const second = configurationOn(opened.dataSource);
    await second.onModuleInit();
    expect(await second.findClient('spa')).toBeUndefined();
    expect(await second.findClient('m2m')).toBeDefined();
  });

  it('instances starting together on an empty store, should seed it once', async () => {
    const sources = [opened.dataSource];
    if (opened.dataSource.options.type === 'postgres') {
      for (let i = 0; i < 2; i += 1) {
        const other = await new DataSource(opened.dataSource.options).initialize();
        extra.push(other);
        sources.push(other);
      }
    } else {
      sources.push(opened.dataSource, opened.dataSource);
    }
    await Promise.all(sources.map((dataSource) => configurationOn(dataSource).onModuleInit()));
    const [{ count }] = await opened.dataSource.query('SELECT COUNT(*) AS count FROM configuration_clients') as [{ count: string | number }];
    expect(Number(count)).toBe(3);
  });

  it('a row changed in the database, should be read only after CONFIGURATION_CACHE_DURATION, or at once after invalidate', async () => {
    const clock = new FakeClock();
    const configuration = configurationOn(opened.dataSource, clock, { CONFIGURATION_CACHE_DURATION: '5m' });
    await configuration.onModuleInit();
    const newSecret = JSON.stringify([{ type: 'SharedSecret', value: `sha256:${sha256('rotated').toString('base64')}` }]);
    await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { clientSecrets: newSecret });

    clock.advance(5 * 60_000 - 1);
    expect((await configuration.findClient('m2m'))?.clientSecrets).toEqual([{ type: 'SharedSecret', sha256: sha256('m2m-secret') }]);
    clock.advance(1);
    expect((await configuration.findClient('m2m'))?.clientSecrets).toEqual([{ type: 'SharedSecret', sha256: sha256('rotated') }]);

    await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { enabled: false });
    expect((await configuration.findClient('m2m'))?.enabled).toBe(true);
    configuration.invalidate();
    expect((await configuration.findClient('m2m'))?.enabled).toBe(false);
  });

  it('when the tables cannot be read, should serve the last good copy, report the outage, and recover', async () => {
    const clock = new FakeClock();
    const configuration = configurationOn(opened.dataSource, clock);
    await configuration.onModuleInit();
    await opened.dataSource.query('ALTER TABLE configuration_api_scopes RENAME TO configuration_api_scopes_away');
    try {
      configuration.invalidate();
      expect((await configuration.findClient('m2m'))?.clientId).toBe('m2m');
      expect(configuration.status().outage?.reason).toEqual(expect.any(String));
      // Retried after CONFIGURATION_RETRY_MS, not on every read.
      clock.advance(CONFIGURATION_RETRY_MS);
      expect((await configuration.snapshot()).resources.apiScopes.map((s) => s.name)).toEqual(['api1', 'api2']);
    } finally {
      await opened.dataSource.query('ALTER TABLE configuration_api_scopes_away RENAME TO configuration_api_scopes');
    }
    clock.advance(CONFIGURATION_RETRY_MS);
    await configuration.snapshot();
    expect(configuration.status().outage).toBeUndefined();
  });

  it('in a read-only CLI command, should neither seed nor write, and read the tables on first use', async () => {
    const config = loadAppConfig({ CONFIGURATION_STORE: 'database' });
    const clock = new FakeClock();
    const cli = new DatabaseConfiguration(opened.dataSource, config, file, clock, new InMemoryDistributedCache(clock), new ConfigurationReloadMetrics(), WriteAccess.readOnly);
    await cli.onModuleInit();
    expect(await cli.findClient('m2m')).toBeUndefined();
    await expect(cli.seedIfEmpty()).rejects.toThrow('read-only');
    const version = await readConfigurationVersion(opened.dataSource);
    await expect(cli.configurationChanged()).rejects.toThrow('read-only');
    expect(await readConfigurationVersion(opened.dataSource)).toBe(version);
    const [{ count }] = await opened.dataSource.query('SELECT COUNT(*) AS count FROM configuration_clients') as [{ count: string | number }];
    expect(Number(count)).toBe(0);

    await configurationOn(opened.dataSource).onModuleInit();
    cli.invalidate();
    expect((await cli.findClient('m2m'))?.clientId).toBe('m2m');
  });

  it('an instance that never read the tables, should fail rather than serve nothing', async () => {
    const configuration = configurationOn(opened.dataSource);
    await opened.dataSource.query('ALTER TABLE configuration_api_scopes RENAME TO configuration_api_scopes_away');
    try {
      await expect(configuration.refresh()).rejects.toThrow();
    } finally {
      await opened.dataSource.query('ALTER TABLE configuration_api_scopes_away RENAME TO configuration_api_scopes');
    }
  });
  describe('configuration version (another process changed the store, no Redis)', () => {
    /**
     * A started instance (listening on `cache`) whose version timer is held by the test: it checks
     * the version when the test calls checkVersion(), never on its own.
     */
    async function startedWithoutTimer(clock: FakeClock, cache = new InMemoryDistributedCache(clock)): Promise<{
      configuration: DatabaseConfiguration; reads: () => number; timer: { every: number; unref: jest.Mock };
    }> {
      const configuration = configurationOn(opened.dataSource, clock, { CONFIGURATION_CACHE_DURATION: '5m' }, cache);
      const timer = { every: 0, unref: jest.fn() };
      const setIntervalSpy = jest.spyOn(global, 'setInterval').mockImplementation(((_: () => void, every: number) => {
        timer.every = every;
        return timer;
      }) as unknown as typeof setInterval);
      try {
        await configuration.onModuleInit();
      } finally {
        setIntervalSpy.mockRestore();
      }
      let count = 0;
      configuration.onReload(() => { count += 1; });
      return { configuration, reads: () => count, timer: timer as { every: number; unref: jest.Mock } };
    }

    it('a server, should check the version every CONFIGURATION_VERSION_POLL_MS on a timer that keeps no process alive and stops at shutdown', async () => {
      const { configuration, timer } = await startedWithoutTimer(new FakeClock());
      expect(CONFIGURATION_VERSION_POLL_MS).toBe(2_000);
      expect(timer.every).toBe(CONFIGURATION_VERSION_POLL_MS);
      expect(timer.unref).toHaveBeenCalled();
      const clearIntervalSpy = jest.spyOn(global, 'clearInterval');
      try {
        await configuration.onModuleDestroy();
        expect(clearIntervalSpy).toHaveBeenCalledWith(timer);
      } finally {
        clearIntervalSpy.mockRestore();
      }
    });

    it('with a message that arrived (Redis), the version check after it should read no table again: one read per change', async () => {
      const clock = new FakeClock();
      const shared = new InMemoryDistributedCache(clock);
      const { configuration: b, reads } = await startedWithoutTimer(clock, shared);
      const a = configurationOn(opened.dataSource, clock, { CONFIGURATION_CACHE_DURATION: '5m' }, shared);
      await a.onModuleInit();
      await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { enabled: false });
      await a.configurationChanged();
      for (let i = 0; i < 100 && reads() === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(reads()).toBe(1);
      expect((await b.findClient('m2m'))?.enabled).toBe(false);
      await b.checkVersion();
      expect(reads()).toBe(1);
    });

    it('seeding, should raise the version once; a store already seeded, should not raise it', async () => {
      const before = await readConfigurationVersion(opened.dataSource);
      await configurationOn(opened.dataSource).onModuleInit();
      expect(await readConfigurationVersion(opened.dataSource)).toBe(before! + 1);
      await configurationOn(opened.dataSource).onModuleInit();
      expect(await readConfigurationVersion(opened.dataSource)).toBe(before! + 1);
    });

    it('a change announced by another instance, should be read at the next version check, and an unchanged version should read no table', async () => {
      const clock = new FakeClock();
      const { configuration: b, reads } = await startedWithoutTimer(clock);
      const a = configurationOn(opened.dataSource, clock, { CONFIGURATION_CACHE_DURATION: '5m' });
      await a.onModuleInit();

      await b.checkVersion();
      expect(reads()).toBe(0);

      await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { enabled: false });
      const version = await readConfigurationVersion(opened.dataSource);
      await a.configurationChanged();
      expect(await readConfigurationVersion(opened.dataSource)).toBe(version! + 1);
      // B's copy is fresh (5m) and A's message stays in A's process.
      expect((await b.findClient('m2m'))?.enabled).toBe(true);

      await b.checkVersion();
      expect((await b.findClient('m2m'))?.enabled).toBe(false);
      expect(reads()).toBe(1);
      // Checked again with nothing changed: no second read.
      await b.checkVersion();
      await b.checkVersion();
      expect(reads()).toBe(1);
    });

    it('a row changed by hand without raising the version, should wait for CONFIGURATION_CACHE_DURATION as before', async () => {
      const clock = new FakeClock();
      const { configuration, reads } = await startedWithoutTimer(clock);
      await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { enabled: false });
      await configuration.checkVersion();
      expect(reads()).toBe(0);
      expect((await configuration.findClient('m2m'))?.enabled).toBe(true);
    });

    it('the version unreadable, should keep the copy serving without an error, and see a later change once readable', async () => {
      const clock = new FakeClock();
      const { configuration, reads } = await startedWithoutTimer(clock);
      await opened.dataSource.query('ALTER TABLE configuration_version RENAME TO configuration_version_away');
      try {
        await configuration.checkVersion();
        expect(reads()).toBe(0);
        expect(configuration.status().outage).toBeUndefined();
        expect((await configuration.findClient('m2m'))?.enabled).toBe(true);
      } finally {
        await opened.dataSource.query('ALTER TABLE configuration_version_away RENAME TO configuration_version');
      }
      await opened.dataSource.getRepository(ConfigurationClientEntity).update({ clientId: 'm2m' }, { enabled: false });
      const writer = configurationOn(opened.dataSource, clock);
      await writer.configurationChanged();
      await configuration.checkVersion();
      expect((await configuration.findClient('m2m'))?.enabled).toBe(false);
    });

    it('migration 1795420000900, should create the table with version 0 and drop it again', async () => {
      const migration = new CreateConfigurationVersion1795420000900();
      const runner = opened.dataSource.createQueryRunner();
      try {
        await migration.down(runner);
        expect(await runner.hasTable('configuration_version')).toBe(false);
        await migration.up(runner);
        expect(await readConfigurationVersion(opened.dataSource)).toBe(0);
        await configurationOn(opened.dataSource).configurationChanged();
        await configurationOn(opened.dataSource).configurationChanged();
        expect(await readConfigurationVersion(opened.dataSource)).toBe(2);
      } finally {
        await runner.release();
      }
    });
  });
});
