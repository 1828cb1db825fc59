import { Injectable, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { loadAppConfig } from '../../src/config/app-config';
import { IdentityServerModule } from '../../src/identity-server.module';
import { ClientStore } from '../../src/stores/client.store';
import { DeviceFlowStore } from '../../src/stores/device-flow.store';
import type { User } from '../../src/stores/models';
import { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { ResourceStore } from '../../src/stores/resource.store';
import { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { UserStore } from '../../src/stores/user.store';
import { ConfigFileClientStore, ConfigFileExternalProviderStore, ConfigFileResourceStore } from '../../src/stores/config-file';
import { ExternalProviderStore } from '../../src/stores/external-provider.store';
import { FederatedUserStore } from '../../src/stores/federated-user.store';
import { UserLinkStore } from '../../src/stores/user-link.store';
import { RedisDeviceFlowStore, RedisPersistedGrantStore, RedisServerSideSessionStore } from '../../src/stores/redis';
import { TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore, TypeOrmUserLinkStore } from '../../src/stores/typeorm';

/** A user store a deployment might bring: every user is "carol" with password "secret". */
@Injectable()
class DirectoryUserStore extends UserStore {
  private readonly carol: User = { subjectId: 'c-1', username: 'carol', claims: { name: 'Carol' } };

  async validateCredentials(username: string, password: string): Promise<User | undefined> {
    return username === 'carol' && password === 'secret' ? this.carol : undefined;
  }

  async findBySubjectId(subjectId: string): Promise<User | undefined> {
    return subjectId === this.carol.subjectId ? this.carol : undefined;
  }
}

/** The server as the CLI builds it (an application context, no HTTP), with `providers` bound. */
async function startStores(providers: Provider[] = [], env: Record<string, string> = {}) {
  const config = loadAppConfig({
    DATABASE_URL: 'sqlite::memory:', CONFIG_FILE: 'config/identity.json', LOG_LEVEL: 'error', ...env,
  });
  return NestFactory.createApplicationContext(IdentityServerModule.forRoot(config, { providers }), { logger: false, abortOnError: false });
}

describe('IdentityServerModule.forRoot, store seams', () => {
  it('forRoot, when given no providers, should bind the config-file and TypeORM stores', async () => {
    const context = await startStores();
    try {
      expect(context.get(ClientStore)).toBeInstanceOf(ConfigFileClientStore);
      expect(context.get(ResourceStore)).toBeInstanceOf(ConfigFileResourceStore);
      // the file's users, then users auto-provisioned through external providers
      expect(context.get(UserStore)).toBeInstanceOf(FederatedUserStore);
      expect(context.get(ExternalProviderStore)).toBeInstanceOf(ConfigFileExternalProviderStore);
      expect(context.get(UserLinkStore)).toBeInstanceOf(TypeOrmUserLinkStore);
      expect(await context.get(UserStore).findBySubjectId('1')).toMatchObject({ username: 'alice' });
      expect(context.get(PersistedGrantStore)).toBeInstanceOf(TypeOrmPersistedGrantStore);
      expect(context.get(DeviceFlowStore)).toBeInstanceOf(TypeOrmDeviceFlowStore);
      expect(context.get(ServerSideSessionStore)).toBeInstanceOf(TypeOrmServerSideSessionStore);
      // the TypeORM stores work against the migrated database
      const grants = context.get(PersistedGrantStore);
      await grants.store({ key: 'k', type: 'user_consent', clientId: 'web', creationTime: new Date(), data: 'd' });
      expect(await grants.get('k')).toMatchObject({ key: 'k', clientId: 'web' });
    } finally {
      await context.close();
    }
  });

  it('forRoot, when a user store is bound, should use it and keep the other defaults', async () => {
    const context = await startStores([{ provide: UserStore, useClass: DirectoryUserStore }]);
    try {
      const users = context.get(UserStore);
      expect(users).toBeInstanceOf(DirectoryUserStore);
      expect(await users.validateCredentials('carol', 'secret')).toMatchObject({ subjectId: 'c-1' });
      expect(await users.validateCredentials('alice', 'alice')).toBeUndefined();
      expect(context.get(ClientStore)).toBeInstanceOf(ConfigFileClientStore);
      expect(context.get(PersistedGrantStore)).toBeInstanceOf(TypeOrmPersistedGrantStore);
    } finally {
      await context.close();
    }
  });

  (process.env.TEST_REDIS_URL ? describe : describe.skip)(`with OPERATIONAL_STORE=redis${process.env.TEST_REDIS_URL ? '' : ' (skipped: TEST_REDIS_URL unset)'}`, () => {
    const redisEnv = () => ({
      OPERATIONAL_STORE: 'redis', REDIS_URL: process.env.TEST_REDIS_URL ?? '', DATA_PROTECTION_APPLICATION_NAME: `stores-${randomUUID()}`,
    });

    it('forRoot, when given no providers, should bind the Redis operational stores', async () => {
      const context = await startStores([], redisEnv());
      try {
        expect(context.get(PersistedGrantStore)).toBeInstanceOf(RedisPersistedGrantStore);
        expect(context.get(DeviceFlowStore)).toBeInstanceOf(RedisDeviceFlowStore);
        expect(context.get(ServerSideSessionStore)).toBeInstanceOf(RedisServerSideSessionStore);
        const grants = context.get(PersistedGrantStore);
        await grants.store({ key: 'k', type: 'user_consent', clientId: 'web', creationTime: new Date(), expiration: new Date(Date.now() + 60_000), data: 'd' });
        expect(await grants.get('k')).toMatchObject({ key: 'k', clientId: 'web' });
        await grants.remove('k');
      } finally {
        await context.close();
      }
    });

    it('forRoot, when a persisted-grant store is bound, should use it (the Redis default only where nothing is bound)', async () => {
      const own = new TypeOrmPersistedGrantStore(undefined as never);
      const context = await startStores([{ provide: PersistedGrantStore, useValue: own }], redisEnv());
      try {
        expect(context.get(PersistedGrantStore)).toBe(own);
        expect(context.get(DeviceFlowStore)).toBeInstanceOf(RedisDeviceFlowStore);
      } finally {
        await context.close();
      }
    });
  });
});
