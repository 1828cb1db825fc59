import type { Provider } from '@nestjs/common';
import { ClientStore } from './client.store';
import { DeviceFlowStore } from './device-flow.store';
import { PersistedGrantStore } from './persisted-grant.store';
import { ResourceStore } from './resource.store';
import { ServerSideSessionStore } from './server-side-session.store';
import { UserStore } from './user.store';
import { ConfigFileClientStore, ConfigFileResourceStore, ConfigFileUserStore } from './config-file';
import { TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore } from './typeorm';

/**
 * The default binding of each store (the abstract class every module injects): the
 * configuration file for clients, resources and users, TypeORM for operational data.
 * IdentityServerModule.forRoot uses each one only where the integrator bound nothing.
 * The config-file stores need IdentityConfigurationHolder; the TypeORM ones the repositories of
 * OPERATIONAL_STORE_ENTITIES.
 */
export const DEFAULT_STORE_PROVIDERS: readonly Provider[] = [
  { provide: ClientStore, useClass: ConfigFileClientStore },
  { provide: ResourceStore, useClass: ConfigFileResourceStore },
  { provide: UserStore, useClass: ConfigFileUserStore },
  { provide: PersistedGrantStore, useClass: TypeOrmPersistedGrantStore },
  { provide: DeviceFlowStore, useClass: TypeOrmDeviceFlowStore },
  { provide: ServerSideSessionStore, useClass: TypeOrmServerSideSessionStore },
];
