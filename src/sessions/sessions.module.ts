import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { SessionService } from './session.service';

/** Authentication sessions (cookie + server-side session in the ServerSideSessionStore seam). */
@Module({
  imports: [DataProtectionModule],
  providers: [SessionService],
  exports: [SessionService],
})
export class SessionsModule {}
