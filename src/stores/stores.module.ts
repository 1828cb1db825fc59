import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ClientStore } from './client.store';
import { DeviceFlowStore } from './device-flow.store';
import { PersistedGrantStore } from './persisted-grant.store';
import { ResourceStore } from './resource.store';
import { ServerSideSessionStore } from './server-side-session.store';
import { UserStore } from './user.store';
import {
  ConfigFileClientStore, ConfigFileResourceStore, ConfigFileUserStore, IDENTITY_CONFIGURATION, identityConfigurationProvider,
} from './config-file';
import {
  OPERATIONAL_STORE_ENTITIES, TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore,
} from './typeorm';

/**
 * Replaces any store with your own class (like Duende's `AddClientStore<T>()`), e.g.
 * `createApp(config, { stores: { userStore: MyUserStore } })`. The class is instantiated by Nest,
 * so it may inject anything global (APP_CONFIG, Clock, the TypeORM DataSource, …).
 */
export interface StoresModuleOptions {
  readonly clientStore?: Type<ClientStore>;
  readonly resourceStore?: Type<ResourceStore>;
  readonly userStore?: Type<UserStore>;
  readonly persistedGrantStore?: Type<PersistedGrantStore>;
  readonly deviceFlowStore?: Type<DeviceFlowStore>;
  readonly serverSideSessionStore?: Type<ServerSideSessionStore>;
}

/**
 * Binds each abstract store (the DI token every other module injects) to its implementation:
 * the configuration file for clients, resources and users; TypeORM for operational data.
 * Global, so features inject stores without importing this module. SigningKeyStore is bound by
 * key-management.
 */
@Module({})
export class StoresModule {
  static forRoot(options: StoresModuleOptions = {}): DynamicModule {
    const bindings: Provider[] = [
      { provide: ClientStore, useClass: options.clientStore ?? ConfigFileClientStore },
      { provide: ResourceStore, useClass: options.resourceStore ?? ConfigFileResourceStore },
      { provide: UserStore, useClass: options.userStore ?? ConfigFileUserStore },
      { provide: PersistedGrantStore, useClass: options.persistedGrantStore ?? TypeOrmPersistedGrantStore },
      { provide: DeviceFlowStore, useClass: options.deviceFlowStore ?? TypeOrmDeviceFlowStore },
      { provide: ServerSideSessionStore, useClass: options.serverSideSessionStore ?? TypeOrmServerSideSessionStore },
    ];
    return {
      module: StoresModule,
      global: true,
      imports: [TypeOrmModule.forFeature(OPERATIONAL_STORE_ENTITIES)],
      providers: [identityConfigurationProvider, ...bindings],
      exports: [
        IDENTITY_CONFIGURATION, ClientStore, ResourceStore, UserStore, PersistedGrantStore, DeviceFlowStore, ServerSideSessionStore,
      ],
    };
  }
}
