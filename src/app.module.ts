import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { LoggingModule } from './logging/logging.module';
import { CommonModule } from './common/common.module';
import { ProtocolModule } from './protocol/protocol.module';
import { DatabaseModule } from './database/database.module';
import { StoresModule, type StoresModuleOptions } from './stores/stores.module';
import { CachingModule } from './caching/caching.module';
import { DataProtectionModule } from './data-protection/data-protection.module';
import { KeyManagementModule, type KeyManagementModuleOptions } from './key-management/key-management.module';
import { HostingModule } from './hosting/hosting.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { TokenEndpointModule } from './token-endpoint/token-endpoint.module';
import { IntrospectionModule } from './introspection/introspection.module';
import { RevocationModule } from './revocation/revocation.module';
import { HealthModule } from './health/health.module';
import { DeviceFlowModule } from './device-flow/device-flow.module';
import { EndSessionModule } from './end-session/end-session.module';
import { TokenCleanupModule } from './token-cleanup/token-cleanup.module';
import { MetricsModule } from './metrics/metrics.module';
import { AuthorizeModule } from './authorize/authorize.module';
import { UiModule } from './ui/ui.module';
import { UserInfoModule } from './userinfo/userinfo.module';

/** How a team extends the server without forking it: extra modules, provider overrides. */
export interface AppExtensions {
  /** modules added to the application (e.g. one that binds your own stores) */
  readonly imports?: ModuleMetadata['imports'];
  /** replace stores with your own classes, e.g. `{ userStore: MyUserStore }` */
  readonly stores?: StoresModuleOptions;
  /** replace the signing-key store, e.g. `{ signingKeyStore: MyKeyStore }` */
  readonly keyManagement?: KeyManagementModuleOptions;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extensions: AppExtensions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config),
        ScheduleModule.forRoot(),
        CommonModule,
        ProtocolModule,
        DatabaseModule,
        StoresModule.forRoot(extensions.stores),
        CachingModule,
        DataProtectionModule,
        KeyManagementModule.forRoot(extensions.keyManagement),
        HostingModule,
        DiscoveryModule,
        TokenEndpointModule,
        IntrospectionModule,
        RevocationModule,
        HealthModule,
        DeviceFlowModule,
        EndSessionModule,
        TokenCleanupModule,
        MetricsModule,
        AuthorizeModule,
        UiModule,
        UserInfoModule,
        ...(extensions.imports ?? []),
      ],
    };
  }
}
