import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/app-config';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { JoseSigningService, STATIC_SIGNING_KEYS } from './jose-signing.service';
import { KeyManagerModule } from './key-manager.module';
import { KeyRotationService } from './key-rotation.service';
import { KeySetChangeListener } from './key-set-change.listener';
import { SigningKeyMetrics } from './signing-key.metrics';
import { SigningService } from './signing.service';
import { loadStaticCredentials } from './static-credentials.loader';

/**
 * Token signing keys: static credentials (SIGNING_CREDENTIALS, VALIDATION_KEYS) and automatic
 * key management (KeyManager + KeyRotationService) behind SigningService. Managed keys live in
 * the SigningKeyStore seam (bound by IdentityServerModule.forRoot), protected by data protection.
 */
@Module({
  imports: [DataProtectionModule, KeyManagerModule],
  providers: [
    // Loaded once at start-up; a bad file, password or key/algorithm mismatch stops start-up.
    { provide: STATIC_SIGNING_KEYS, inject: [APP_CONFIG], useFactory: loadStaticCredentials },
    KeyRotationService,
    // Re-reads the key set when another instance or the CLI changes it (REDIS_URL: within seconds).
    KeySetChangeListener,
    JoseSigningService,
    SigningKeyMetrics,
    { provide: SigningService, useExisting: JoseSigningService },
  ],
  exports: [SigningService, KeyManagerModule],
})
export class KeyManagementModule {}
