import { Module } from '@nestjs/common';
import { AuthorizeModule } from '../authorize/authorize.module';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AntiforgeryService } from './antiforgery.service';
import { ConsentController } from './consent.controller';
import { LoginController } from './login.controller';
import { LoginThrottlingService } from './login-throttling.service';

/**
 * The login and consent pages, and anti-forgery for every form (logout and device pages too).
 * The pages are rendered by the `Ui` seam: DefaultUi unless the integrator binds its own in
 * `IdentityServerOptions.providers` (README.md, "Replacing the login, consent and logout pages").
 */
@Module({
  imports: [AuthorizeModule, DataProtectionModule, SessionsModule],
  controllers: [LoginController, ConsentController],
  providers: [AntiforgeryService, LoginThrottlingService],
  exports: [AntiforgeryService],
})
export class UiModule {}
