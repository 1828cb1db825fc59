import { Module } from '@nestjs/common';
import { AuthorizeModule } from '../authorize/authorize.module';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AntiforgeryService } from './antiforgery.service';
import { ConsentController } from './consent.controller';
import { ConsentModule } from '../consent/consent.module';
import { ResourcesModule } from '../resources/resources.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { GrantsController } from './grants.controller';
import { GrantsService } from './grants.service';
import { LoginController } from './login.controller';
import { LoginThrottlingService } from './login-throttling.service';
import { PageLanguage } from './page-language';
import { SiteCssController } from './site-css.controller';

/**
 * The login and consent pages, and anti-forgery for every form (logout and device pages too).
 * The pages are rendered by the `Ui` seam: DefaultUi unless the integrator binds its own in
 * `IdentityServerOptions.providers` (README.md, "Replacing the login, consent and logout pages").
 */
@Module({
  imports: [AuthorizeModule, ConsentModule, DataProtectionModule, ResourcesModule, SessionsModule, TokenIssuanceModule],
  controllers: [LoginController, ConsentController, GrantsController, SiteCssController],
  providers: [AntiforgeryService, GrantsService, PageLanguage, LoginThrottlingService],
  exports: [AntiforgeryService, PageLanguage],
})
export class UiModule {}
