import { Module } from '@nestjs/common';
import { ConsentService } from './consent.service';

/** Remembered user consent (persisted grants of type user_consent). */
@Module({
  providers: [ConsentService],
  exports: [ConsentService],
})
export class ConsentModule {}
