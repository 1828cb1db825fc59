export { CONFIGURATION_STORE_ENTITIES } from './configuration.entities';
export {
  DatabaseConfiguration, CONFIGURATION_CHANGED_CHANNEL, CONFIGURATION_RETRY_MS, CONFIGURATION_VERSION_POLL_MS, type ConfigurationStoreStatus,
} from './database-configuration';
export { TypeOrmClientStore } from './typeorm-client.store';
export { TypeOrmResourceStore } from './typeorm-resource.store';
export { TypeOrmExternalProviderStore } from './typeorm-external-provider.store';
export { readConfigurationTables, insertConfiguration } from './configuration-tables';
