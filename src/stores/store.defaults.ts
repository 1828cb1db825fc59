import type { Provider } from '@nestjs/common';
import { ClientStore } from './client.store';
import { DeviceFlowStore } from './device-flow.store';
import { PersistedGrantStore } from './persisted-grant.store';
import { ResourceStore } from './resource.store';
import { ServerSideSessionStore } from './server-side-session.store';
import { UserStore } from './user.store';
import { ConfigFileClientStore, ConfigFileResourceStore, ConfigFileUserStore } from './config-file';
import { TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore } from './typeorm';
import { DatabaseConfiguration, TypeOrmClientStore, TypeOrmResourceStore } from './typeorm-config';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { IDENTITY_CONFIGURATION, type IdentityConfiguration } from './config-file';

/**
 * The default binding of each store (the abstract class every module injects): for clients and
 * resources the configuration file or, with CONFIGURATION_STORE=database, the database
 * configuration store (seeded from the file); the file for users; TypeORM for operational data.
 * IdentityServerModule.forRoot uses each one only where the integrator bound nothing.
 * The config-file stores need IDENTITY_CONFIGURATION; the TypeORM ones the repositories of
 * OPERATIONAL_STORE_ENTITIES.
 */
export const DEFAULT_STORE_PROVIDERS: readonly Provider[] = [
  {
    provide: ClientStore,
    inject: [APP_CONFIG, IDENTITY_CONFIGURATION, DatabaseConfiguration],
    useFactory: (config: AppConfig, file: IdentityConfiguration, database: DatabaseConfiguration): ClientStore =>
      config.configuration.store === 'database' ? new TypeOrmClientStore(database) : new ConfigFileClientStore(file),
  },
  {
    provide: ResourceStore,
    inject: [APP_CONFIG, IDENTITY_CONFIGURATION, DatabaseConfiguration],
    useFactory: (config: AppConfig, file: IdentityConfiguration, database: DatabaseConfiguration): ResourceStore =>
      config.configuration.store === 'database' ? new TypeOrmResourceStore(database) : new ConfigFileResourceStore(file),
  },
  { provide: UserStore, useClass: ConfigFileUserStore },
  { provide: PersistedGrantStore, useClass: TypeOrmPersistedGrantStore },
  { provide: DeviceFlowStore, useClass: TypeOrmDeviceFlowStore },
  { provide: ServerSideSessionStore, useClass: TypeOrmServerSideSessionStore },
];
