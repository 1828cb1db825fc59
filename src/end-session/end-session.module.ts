import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { BackChannelLogoutService } from './back-channel-logout.service';
import { EndSessionRequestValidator } from './end-session-request.validator';
import { EndSessionController } from './end-session.controller';
import { EndSessionService } from './end-session.service';

/**
 * RP-initiated logout (`/connect/endsession`) and back-channel logout. Exports EndSessionService
 * so the logout page (UI module) signs out the same way: clearing the session and notifying
 * clients. It does not import the UI module, so the UI module can import this one.
 */
@Module({
  imports: [SessionsModule],
  controllers: [EndSessionController],
  providers: [EndSessionRequestValidator, EndSessionService, BackChannelLogoutService],
  exports: [EndSessionService, BackChannelLogoutService],
})
export class EndSessionModule {}
