import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { KeyManager } from './key-manager.service';
import { KeySetNotifier } from './key-set-notifier.service';

/**
 * The KeyManager alone, without the rotation scheduler or the signing service: what the admin
 * CLI's `keys` commands need (KeyManagementModule imports it for the server). KeySetNotifier
 * publishes this process's key changes; only the server listens (KeySetChangeListener).
 */
@Module({
  imports: [DataProtectionModule],
  providers: [KeyManager, KeySetNotifier],
  exports: [KeyManager, KeySetNotifier],
})
export class KeyManagerModule {}
