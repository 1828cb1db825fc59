import type { FactoryProvider } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DataProtectionKeyEntity, type DataProtectionKeyRow } from './data-protection-key.entity';
import { DataProtectionKeyStore } from './data-protection-key.store';
import { FileDataProtectionKeyStore } from './file-data-protection-key.store';
import { RedisDataProtectionKeyStore } from './redis-data-protection-key.store';
import { TypeOrmDataProtectionKeyStore } from './typeorm-data-protection-key.store';

/** The store DATA_PROTECTION_KEY_STORE selects, scoped to DATA_PROTECTION_APPLICATION_NAME. */
function keyStoreFor(config: AppConfig, repository: Repository<DataProtectionKeyRow>): DataProtectionKeyStore {
  const { keyStore, keyPath, applicationName } = config.dataProtection;
  if (keyStore === 'file') return new FileDataProtectionKeyStore(keyPath, applicationName);
  if (keyStore === 'redis') {
    // loadAppConfig already refuses DATA_PROTECTION_KEY_STORE=redis without REDIS_URL.
    if (!config.redisUrl) throw new Error('DATA_PROTECTION_KEY_STORE: "redis" needs REDIS_URL');
    return RedisDataProtectionKeyStore.connect(config.redisUrl, applicationName);
  }
  return new TypeOrmDataProtectionKeyStore(repository, applicationName);
}

/**
 * The default DataProtectionKeyStore, chosen by DATA_PROTECTION_KEY_STORE; needs the repository
 * of DataProtectionKeyEntity (TypeOrmModule.forFeature) even when another store is chosen.
 */
export const defaultDataProtectionKeyStoreProvider: FactoryProvider<DataProtectionKeyStore> = {
  provide: DataProtectionKeyStore,
  inject: [APP_CONFIG, getRepositoryToken(DataProtectionKeyEntity)],
  useFactory: keyStoreFor,
};
