import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { KeyManagementModule } from '../key-management/key-management.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UiModule } from '../ui/ui.module';
import { FederationModule } from '../federation/federation.module';
import { BackChannelLogoutService } from './back-channel-logout.service';
import { EndSessionRequestValidator } from './end-session-request.validator';
import { EndSessionController } from './end-session.controller';
import { EndSessionService } from './end-session.service';
import { LogoutController } from './logout.controller';

/**
 * RP-initiated logout (`/connect/endsession`), the logout page that confirms it
 * (`/account/logout`, rendered by the UI module's `Ui`), and back-channel logout.
 */
@Module({
  imports: [SessionsModule, DataProtectionModule, KeyManagementModule, UiModule, FederationModule],
  controllers: [EndSessionController, LogoutController],
  providers: [EndSessionRequestValidator, EndSessionService, BackChannelLogoutService],
  exports: [EndSessionService, BackChannelLogoutService],
})
export class EndSessionModule {}
