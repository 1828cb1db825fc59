import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { KeyManager } from './key-manager.service';

/**
 * The KeyManager alone, without the rotation scheduler or the signing service: what the admin
 * CLI's `keys` commands need (KeyManagementModule imports it for the server).
 */
@Module({
  imports: [DataProtectionModule],
  providers: [KeyManager],
  exports: [KeyManager],
})
export class KeyManagerModule {}
