import type { FactoryProvider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SigningKeyStore } from '../stores/signing-key.store';
import { FileSigningKeyStore } from './file-signing-key.store';
import { TypeOrmSigningKeyStore } from './typeorm-signing-key.store';

/** The default SigningKeyStore, chosen by KEY_MANAGEMENT_KEY_STORE (Duende's `AddSigningKeyStore<T>()` replaces it). */
export const defaultSigningKeyStoreProvider: FactoryProvider<SigningKeyStore> = {
  provide: SigningKeyStore,
  inject: [APP_CONFIG, getDataSourceToken()],
  useFactory: (config: AppConfig, dataSource: DataSource): SigningKeyStore =>
    config.keyManagement.keyStore === 'file'
      ? new FileSigningKeyStore(config.keyManagement.keyPath)
      : new TypeOrmSigningKeyStore(dataSource),
};
