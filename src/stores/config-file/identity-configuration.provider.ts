import { Logger, type FactoryProvider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SupportedGrantTypes } from '../../protocol/grant-types';
import { ConfigurationReloadMetrics } from './configuration-reload.metrics';
import { loadIdentityConfig, type IdentityConfiguration } from './identity-config.loader';
import { IdentityConfigurationHolder } from './identity-configuration.holder';

/**
 * DI token for the configuration file as loaded at start-up:
 * `@Inject(IDENTITY_CONFIGURATION) config: IdentityConfiguration`. For one-shot readers (CLI
 * commands, start-up checks); anything that runs while the server serves injects
 * IdentityConfigurationHolder and reads `current`, which follows reloads.
 */
export const IDENTITY_CONFIGURATION = Symbol('IDENTITY_CONFIGURATION');

/** One log line summing up a loaded version. */
export function describeConfiguration(path: string, loaded: IdentityConfiguration): string {
  return `${path}: ${loaded.clients.length} clients, ${loaded.identityResources.length} identity resources, `
    + `${loaded.apiScopes.length} API scopes, ${loaded.apiResources.length} API resources, ${loaded.users.length} users`;
}

/**
 * Loads CONFIG_FILE at start-up; an invalid file (a grant name the registry does not know
 * included) stops start-up with a ConfigError. A successful load counts in
 * `configuration_reloads_total` where the server binds ConfigurationReloadMetrics.
 * ConfigurationFileWatcher replaces the holder's version when the file changes.
 */
export const identityConfigurationHolderProvider: FactoryProvider<Promise<IdentityConfigurationHolder>> = {
  provide: IdentityConfigurationHolder,
  inject: [APP_CONFIG, SupportedGrantTypes, { token: ConfigurationReloadMetrics, optional: true }],
  useFactory: async (config: AppConfig, grantTypes: SupportedGrantTypes, metrics?: ConfigurationReloadMetrics): Promise<IdentityConfigurationHolder> => {
    const loaded = await loadIdentityConfig(config.configFile, grantTypes.names);
    metrics?.recordLoaded();
    new Logger('IdentityConfiguration').log(`Loaded ${describeConfiguration(config.configFile, loaded)}`);
    return new IdentityConfigurationHolder(loaded);
  },
};

/** IDENTITY_CONFIGURATION: the version loaded at start-up (see above). */
export const identityConfigurationProvider: FactoryProvider<IdentityConfiguration> = {
  provide: IDENTITY_CONFIGURATION,
  inject: [IdentityConfigurationHolder],
  useFactory: (holder: IdentityConfigurationHolder) => holder.current,
};
