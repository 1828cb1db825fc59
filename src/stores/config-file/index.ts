export { IDENTITY_CONFIGURATION, identityConfigurationProvider, identityConfigurationHolderProvider } from './identity-configuration.provider';
export { IdentityConfigurationHolder, type ConfigurationListener } from './identity-configuration.holder';
export { ConfigurationReloadMetrics } from './configuration-reload.metrics';
export { ConfigurationFileWatcher, RELOAD_DEBOUNCE_MS, RELOAD_POLL_MS } from './configuration-file.watcher';
export { ConfigurationFileReloadModule } from './configuration-file-reload.module';
export { ConfigFileClientStore } from './config-file-client.store';
export { ConfigFileResourceStore } from './config-file-resource.store';
export { ConfigFileUserStore } from './config-file-user.store';
export type { IdentityConfiguration, ConfiguredUser } from './identity-config.loader';
