export { IDENTITY_CONFIGURATION, identityConfigurationProvider } from './identity-configuration.provider';
export { ConfigurationReloadMetrics } from './configuration-reload.metrics';
export { ConfigFileClientStore } from './config-file-client.store';
export { ConfigFileResourceStore } from './config-file-resource.store';
export { ConfigFileUserStore } from './config-file-user.store';
export type { IdentityConfiguration, ConfiguredUser } from './identity-config.loader';
