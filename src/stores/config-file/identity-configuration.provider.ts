import { Logger, type FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SupportedGrantTypes } from '../../protocol/grant-types';
import { ConfigurationReloadMetrics } from './configuration-reload.metrics';
import { loadIdentityConfig, type IdentityConfiguration } from './identity-config.loader';

/** DI token for the loaded configuration file: `@Inject(IDENTITY_CONFIGURATION) config: IdentityConfiguration`. */
export const IDENTITY_CONFIGURATION = Symbol('IDENTITY_CONFIGURATION');

/**
 * Loads CONFIG_FILE once at start-up; an invalid file (a grant name the registry does not know
 * included) stops start-up with a ConfigError. A successful load counts in
 * `configuration_reloads_total` where the server binds ConfigurationReloadMetrics.
 */
export const identityConfigurationProvider: FactoryProvider<Promise<IdentityConfiguration>> = {
  provide: IDENTITY_CONFIGURATION,
  inject: [APP_CONFIG, SupportedGrantTypes, { token: ConfigurationReloadMetrics, optional: true }],
  useFactory: async (config: AppConfig, grantTypes: SupportedGrantTypes, metrics?: ConfigurationReloadMetrics): Promise<IdentityConfiguration> => {
    const loaded = await loadIdentityConfig(config.configFile, grantTypes.names);
    metrics?.recordLoaded();
    new Logger('IdentityConfiguration').log(
      `Loaded ${config.configFile}: ${loaded.clients.length} clients, ${loaded.identityResources.length} identity resources, `
      + `${loaded.apiScopes.length} API scopes, ${loaded.apiResources.length} API resources, ${loaded.users.length} users`,
    );
    return loaded;
  },
};
