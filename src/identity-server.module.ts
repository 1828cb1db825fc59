import { Module, type DynamicModule, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProtocolModule } from './protocol/protocol.module';
import { DatabaseModule } from './database/database.module';
import { DataProtectionModule } from './data-protection/data-protection.module';
import { KeyManagementModule } from './key-management/key-management.module';
import { HostingModule } from './hosting/hosting.module';
import { DiscoveryModule } from './discovery/discovery.module';
import { BUILT_IN_GRANT_HANDLERS, supportedGrantTypesOf, TokenEndpointModule } from './token-endpoint/token-endpoint.module';
import type { GrantHandler } from './token-endpoint/grants/grant-handler';
import { IntrospectionModule } from './introspection/introspection.module';
import { RevocationModule } from './revocation/revocation.module';
import { HealthModule } from './health/health.module';
import { DeploymentModule } from './deployment/deployment.module';
import { DeviceFlowModule } from './device-flow/device-flow.module';
import { EndSessionModule } from './end-session/end-session.module';
import { TokenCleanupModule } from './token-cleanup/token-cleanup.module';
import { AuthorizeModule } from './authorize/authorize.module';
import { UiModule } from './ui/ui.module';
import { FederationModule } from './federation/federation.module';
import { UserInfoModule } from './userinfo/userinfo.module';
import { AdminModule } from './admin/admin.module';
import { ConfigurationFileReloadModule } from './stores/config-file';
import { IdentityServerSeamsModule, tokenOf, type SeamBindings } from './identity-server-seams.module';
import { LoginContextModule } from './login-context.module';
import { LoginContextDescriber } from './protocol/login-context';
import { SessionsModule } from './sessions/sessions.module';
import { ResourcesModule } from './resources/resources.module';
import { ClientAuthenticationModule } from './client-authentication/client-authentication.module';
import { TokenIssuanceModule } from './token-issuance/token-issuance.module';
import { ConsentModule } from './consent/consent.module';

/**
 * How a team extends the server without forking it: one options object (README.md,
 * "Extending through DI").
 */
export interface IdentityServerOptions {
  /** modules whose exports your providers, grant handlers or controllers need (need not be global) */
  readonly imports?: ModuleMetadata['imports'];
  /** seam bindings, e.g. { provide: UserStore, useClass: LdapUserStore } (useClass/useFactory/useValue/useExisting); a seam bound here replaces its default (Duende's TryAdd) */
  readonly providers?: Provider[];
  /** extension grant handlers (classes extending GrantHandler, named by @GrantType) */
  readonly grantHandlers?: Type<GrantHandler>[];
  /** extra controllers */
  readonly controllers?: Type<unknown>[];
}

/**
 * The seams, the integrator's imports and the grant registry of `options`: what the server and
 * the admin CLI share, so the CLI validates the configuration file against the same grants.
 */
export function seamBindingsOf(options: IdentityServerOptions): SeamBindings {
  return {
    providers: options.providers ?? [],
    imports: options.imports ?? [],
    grantTypes: supportedGrantTypesOf([...BUILT_IN_GRANT_HANDLERS, ...(options.grantHandlers ?? [])]),
  };
}

/**
 * The whole server. Seams (stores, key stores, cache, clock, pages, error page) are bound once in
 * the global IdentityServerSeamsModule; every feature module imports what else it uses. The
 * grant registry is computed here, from the built-in handlers and `grantHandlers`, before any
 * module starts, so configuration validation, discovery and the token endpoint agree on it.
 */
@Module({})
export class IdentityServerModule {
  /** `rootLogger`: the process's pino logger when the caller made one (createApp), else one is made from config. */
  static forRoot(config: AppConfig, options: IdentityServerOptions = {}, rootLogger?: Logger): DynamicModule {
    const imports = options.imports ?? [];
    const grantHandlers = [...BUILT_IN_GRANT_HANDLERS, ...(options.grantHandlers ?? [])];
    return {
      module: IdentityServerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config, rootLogger),
        MetricsModule,
        ScheduleModule.forRoot(),
        DatabaseModule,
        IdentityServerSeamsModule.forRoot(seamBindingsOf(options)),
        ConfigurationFileReloadModule,
        ProtocolModule,
        DataProtectionModule,
        KeyManagementModule,
        HostingModule,
        DiscoveryModule,
        TokenEndpointModule.forRoot({ grantHandlers, imports }),
        IntrospectionModule,
        RevocationModule,
        HealthModule,
        DeploymentModule.forServer(),
        DeviceFlowModule,
        EndSessionModule,
        TokenCleanupModule,
        AuthorizeModule,
        UiModule,
        // the login page's client line (authorize, then device flow), unless `providers` bind LoginContextDescriber
        ...((options.providers ?? []).some((provider) => tokenOf(provider) === LoginContextDescriber) ? [] : [LoginContextModule]),
        FederationModule,
        UserInfoModule,
        // absent (404) unless ADMIN_API_ENABLED=true
        ...(config.adminApi.enabled ? [AdminModule] : []),
        // Extra controllers are declared here: besides the seams and the integrator's imports they
        // see the building blocks (sessions, resources, client authentication, token issuance,
        // consent) and every module above.
        SessionsModule,
        ResourcesModule,
        ClientAuthenticationModule,
        TokenIssuanceModule,
        ConsentModule,
        ...imports,
      ],
      controllers: options.controllers ?? [],
    };
  }
}
