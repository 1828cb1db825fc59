import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SigningKeyStore } from '../stores/signing-key.store';
import { FileSigningKeyStore } from './file-signing-key.store';
import { JoseSigningService, STATIC_SIGNING_KEYS } from './jose-signing.service';
import { KeyManager } from './key-manager.service';
import { KeyRotationService } from './key-rotation.service';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningService } from './signing.service';
import { loadStaticCredentials } from './static-credentials.loader';
import { TypeOrmSigningKeyStore } from './typeorm-signing-key.store';

export interface KeyManagementModuleOptions {
  /** your own SigningKeyStore (like Duende's `AddSigningKeyStore<T>()`); default by KEY_MANAGEMENT_KEY_STORE */
  readonly signingKeyStore?: Type<SigningKeyStore>;
}

/**
 * Token signing keys: static credentials (SIGNING_CREDENTIALS, VALIDATION_KEYS) and automatic
 * key management (KeyManager + KeyRotationService) behind SigningService. Global, so the token,
 * discovery and health features inject SigningService without importing this module.
 */
@Module({})
export class KeyManagementModule {
  static forRoot(options: KeyManagementModuleOptions = {}): DynamicModule {
    const storeProvider: Provider = options.signingKeyStore
      ? { provide: SigningKeyStore, useClass: options.signingKeyStore }
      : {
        provide: SigningKeyStore,
        inject: [APP_CONFIG, TypeOrmSigningKeyStore],
        useFactory: (config: AppConfig, database: TypeOrmSigningKeyStore): SigningKeyStore =>
          config.keyManagement.keyStore === 'file' ? new FileSigningKeyStore(config.keyManagement.keyPath) : database,
      };
    return {
      module: KeyManagementModule,
      global: true,
      imports: [TypeOrmModule.forFeature([SigningKeyEntity])],
      providers: [
        TypeOrmSigningKeyStore,
        storeProvider,
        // Loaded once at start-up; a bad file, password or key/algorithm mismatch stops start-up.
        { provide: STATIC_SIGNING_KEYS, inject: [APP_CONFIG], useFactory: loadStaticCredentials },
        KeyManager,
        KeyRotationService,
        JoseSigningService,
        { provide: SigningService, useExisting: JoseSigningService },
      ],
      exports: [SigningService, KeyManager, SigningKeyStore],
    };
  }
}
