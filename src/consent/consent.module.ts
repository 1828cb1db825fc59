import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { ConsentService } from './consent.service';

/** Remembered user consent (persisted grants of type user_consent). */
@Module({
  imports: [DataProtectionModule],
  providers: [ConsentService],
  exports: [ConsentService],
})
export class ConsentModule {}
