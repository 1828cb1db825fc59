import { Global, Module } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DataProtectionKeyEntity, type DataProtectionKeyRow } from './data-protection-key.entity';
import { DataProtectionKeyStore } from './data-protection-key.store';
import { DataProtectionProvider } from './data-protector';
import { FileDataProtectionKeyStore } from './file-data-protection-key.store';
import { KeyMaterialEncryptor } from './key-material.encryptor';
import { KeyRingDataProtectionProvider } from './key-ring.data-protection.provider';
import { KeyRingService } from './key-ring.service';
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
 * Data protection (ASP.NET Core's): the key ring in the configured store, encrypted at rest,
 * and the DataProtectionProvider every feature injects. Global; the ring is loaded (or its
 * first key created) at start-up so a broken ring stops the server with a clear message.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([DataProtectionKeyEntity])],
  providers: [
    {
      provide: KeyMaterialEncryptor,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => KeyMaterialEncryptor.fromConfig(config.dataProtection),
    },
    {
      provide: DataProtectionKeyStore,
      inject: [APP_CONFIG, getRepositoryToken(DataProtectionKeyEntity)],
      useFactory: keyStoreFor,
    },
    KeyRingService,
    KeyRingDataProtectionProvider,
    { provide: DataProtectionProvider, useExisting: KeyRingDataProtectionProvider },
  ],
  exports: [DataProtectionProvider, KeyRingService, DataProtectionKeyStore],
})
export class DataProtectionModule {}
