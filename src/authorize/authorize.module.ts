import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { ConsentModule } from '../consent/consent.module';
import { ResourcesModule } from '../resources/resources.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AuthorizeLoginContextDescriber } from './authorize-login-context.describer';
import { AuthorizationCodeService } from './authorization-code.service';
import { AuthorizeContextService } from './authorize-context.service';
import { AuthorizeRequestValidator } from './authorize-request.validator';
import { AuthorizeController } from './authorize.controller';
import { AuthorizeService } from './authorize.service';
import { ConsentInteractionService } from './consent-interaction.service';
import { PushedAuthorizationController } from './pushed-authorization.controller';
import { PushedAuthorizationService } from './pushed-authorization.service';

/** The authorization endpoint, pushed authorization requests and authorization codes. */
@Module({
  imports: [ClientAuthenticationModule, ConsentModule, DataProtectionModule, ResourcesModule, SessionsModule],
  controllers: [AuthorizeController, PushedAuthorizationController],
  providers: [
    AuthorizeRequestValidator,
    AuthorizeContextService,
    AuthorizeService,
    AuthorizationCodeService,
    ConsentInteractionService,
    PushedAuthorizationService,
    AuthorizeLoginContextDescriber,
  ],
  exports: [AuthorizationCodeService, ConsentInteractionService, AuthorizeContextService, AuthorizeLoginContextDescriber],
})
export class AuthorizeModule {}
