import type { FactoryProvider, Provider } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DistributedCache } from '../caching/distributed-cache';
import { Clock } from '../common/clock';
import { AttemptCounterStore, CacheAttemptCounterStore } from './attempt-counter.store';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ClientStore } from './client.store';
import { DeviceFlowStore } from './device-flow.store';
import { PersistedGrantStore } from './persisted-grant.store';
import { ResourceStore } from './resource.store';
import { ServerSideSessionStore } from './server-side-session.store';
import { UserStore } from './user.store';
import { ExternalProviderStore } from './external-provider.store';
import { FederatedUserStore } from './federated-user.store';
import { UserLinkStore } from './user-link.store';
import { ConfigFileClientStore, ConfigFileExternalProviderStore, ConfigFileResourceStore, ConfigFileUserStore } from './config-file';
import { IdentityConfigurationHolder } from './config-file';
import { DatabaseConfiguration, TypeOrmClientStore, TypeOrmExternalProviderStore, TypeOrmResourceStore } from './typeorm-config';
import { RedisDeviceFlowStore, RedisOperationalConnection, RedisPersistedGrantStore, RedisServerSideSessionStore } from './redis';
import {
  AttemptCounterEntity, DeviceCodeEntity, PersistedGrantEntity, TypeOrmAttemptCounterStore, ServerSideSessionEntity,
  TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore, TypeOrmUserLinkStore, UserLinkEntity,
} from './typeorm';
import type { AttemptCounterRow } from './typeorm/attempt-counter.entity';
import type { DeviceCodeRow } from './typeorm/device-code.entity';
import type { PersistedGrantRow } from './typeorm/persisted-grant.entity';
import type { ServerSideSessionRow } from './typeorm/server-side-session.entity';
import type { UserLinkRow } from './typeorm/user-link.entity';

/** The Redis connection of the operational stores: opened only when OPERATIONAL_STORE=redis (else null). */
const redisOperationalConnectionProvider: FactoryProvider<Promise<RedisOperationalConnection | null>> = {
  provide: RedisOperationalConnection,
  inject: [APP_CONFIG],
  useFactory: async (config: AppConfig) => (config.operationalStore === 'redis' && config.redisUrl
    ? RedisOperationalConnection.connect(config.redisUrl, config.dataProtection.applicationName)
    : null),
};

/** An operational store: the Redis one when OPERATIONAL_STORE=redis, else the TypeORM one. */
function operationalStore<S, Row extends object>(
  token: abstract new (...args: never[]) => S,
  entity: Parameters<typeof getRepositoryToken>[0],
  redisStore: (connection: RedisOperationalConnection, clock: Clock) => S,
  typeOrmStore: (repository: Repository<Row>) => S,
): FactoryProvider<S> {
  return {
    provide: token,
    inject: [APP_CONFIG, Clock, RedisOperationalConnection, getRepositoryToken(entity)],
    useFactory: (config: AppConfig, clock: Clock, connection: RedisOperationalConnection | null, repository: Repository<Row>) =>
      (config.operationalStore === 'redis' && connection ? redisStore(connection, clock) : typeOrmStore(repository)),
  };
}

/**
 * The default binding of each store (the abstract class every module injects): for clients and
 * resources the configuration file or, with CONFIGURATION_STORE=database, the database
 * configuration store (seeded from the file); the file for users; for operational data TypeORM,
 * or Redis when OPERATIONAL_STORE=redis (docs/deployment.md#redis-operational-store).
 * IdentityServerModule.forRoot uses each one only where the integrator bound nothing.
 * The config-file stores need IdentityConfigurationHolder; the TypeORM ones the repositories of
 * OPERATIONAL_STORE_ENTITIES.
 */
export const DEFAULT_STORE_PROVIDERS: readonly Provider[] = [
  {
    provide: ClientStore,
    inject: [APP_CONFIG, IdentityConfigurationHolder, DatabaseConfiguration],
    useFactory: (config: AppConfig, file: IdentityConfigurationHolder, database: DatabaseConfiguration): ClientStore =>
      config.configuration.store === 'database' ? new TypeOrmClientStore(database) : new ConfigFileClientStore(file),
  },
  {
    provide: ResourceStore,
    inject: [APP_CONFIG, IdentityConfigurationHolder, DatabaseConfiguration],
    useFactory: (config: AppConfig, file: IdentityConfigurationHolder, database: DatabaseConfiguration): ResourceStore =>
      config.configuration.store === 'database' ? new TypeOrmResourceStore(database) : new ConfigFileResourceStore(file),
  },
  {
    provide: ExternalProviderStore,
    inject: [APP_CONFIG, IdentityConfigurationHolder, DatabaseConfiguration],
    useFactory: (config: AppConfig, file: IdentityConfigurationHolder, database: DatabaseConfiguration): ExternalProviderStore =>
      config.configuration.store === 'database' ? new TypeOrmExternalProviderStore(database) : new ConfigFileExternalProviderStore(file),
  },
  {
    provide: UserLinkStore,
    inject: [getRepositoryToken(UserLinkEntity)],
    useFactory: (repository: Repository<UserLinkRow>): UserLinkStore => new TypeOrmUserLinkStore(repository),
  },
  // The file's users, then those auto-provisioned through external providers.
  {
    provide: UserStore,
    inject: [IdentityConfigurationHolder, UserLinkStore],
    useFactory: (file: IdentityConfigurationHolder, links: UserLinkStore): UserStore => new FederatedUserStore(new ConfigFileUserStore(file), links),
  },
  redisOperationalConnectionProvider,
  operationalStore<PersistedGrantStore, PersistedGrantRow>(PersistedGrantStore, PersistedGrantEntity,
    (connection, clock) => new RedisPersistedGrantStore(connection, clock), (repository) => new TypeOrmPersistedGrantStore(repository)),
  operationalStore<DeviceFlowStore, DeviceCodeRow>(DeviceFlowStore, DeviceCodeEntity,
    (connection, clock) => new RedisDeviceFlowStore(connection, clock), (repository) => new TypeOrmDeviceFlowStore(repository)),
  operationalStore<ServerSideSessionStore, ServerSideSessionRow>(ServerSideSessionStore, ServerSideSessionEntity,
    (connection, clock) => new RedisServerSideSessionStore(connection, clock), (repository) => new TypeOrmServerSideSessionStore(repository)),
  // Attempt limits: in Redis when REDIS_URL is set, else in the database every instance shares
  // (the in-process cache would let each instance count on its own).
  {
    provide: AttemptCounterStore,
    inject: [APP_CONFIG, Clock, DistributedCache, getRepositoryToken(AttemptCounterEntity)],
    useFactory: (config: AppConfig, clock: Clock, cache: DistributedCache, repository: Repository<AttemptCounterRow>): AttemptCounterStore =>
      (config.redisUrl ? new CacheAttemptCounterStore(cache) : new TypeOrmAttemptCounterStore(repository, clock)),
  },
];
