import { Module } from '@nestjs/common';
import { SessionService } from './session.service';

/**
 * Authentication sessions (cookie + server-side session). Depends on the global stores, data
 * protection and clock providers.
 */
@Module({
  providers: [SessionService],
  exports: [SessionService],
})
export class SessionsModule {}
