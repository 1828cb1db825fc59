import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DataProtectionMetrics } from './data-protection.metrics';
import { DataProtectionProvider } from './data-protector';
import { KeyMaterialEncryptor } from './key-material.encryptor';
import { KeyRingDataProtectionProvider } from './key-ring.data-protection.provider';
import { KeyRingService } from './key-ring.service';

/**
 * Data protection (ASP.NET Core's): the key ring, encrypted at rest, and the
 * DataProtectionProvider that features inject after importing this module. The ring lives in the
 * DataProtectionKeyStore seam (bound by IdentityServerModule.forRoot); it is loaded (or its first
 * key created) at start-up; a ring it cannot decrypt puts it on hold (KeyRingService) instead of stopping it.
 */
@Module({
  providers: [
    {
      provide: KeyMaterialEncryptor,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => KeyMaterialEncryptor.fromConfig(config.dataProtection),
    },
    KeyRingService,
    KeyRingDataProtectionProvider,
    DataProtectionMetrics,
    { provide: DataProtectionProvider, useExisting: KeyRingDataProtectionProvider },
  ],
  exports: [DataProtectionProvider, KeyRingService],
})
export class DataProtectionModule {}
