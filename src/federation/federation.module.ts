import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UiModule } from '../ui/ui.module';
import { ExternalProviderClients } from './external-provider-clients';
import { ExternalSignInStateStore } from './external-sign-in-state.store';
import { ExternalSignInController } from './external-sign-in.controller';
import { ExternalSignInService } from './external-sign-in.service';
import { ExternalSignOutService } from './external-sign-out.service';

/**
 * Sign-in through external OpenID Connect providers (`externalProviders`, docs/configuration-file.md).
 * The provider list and the user links come from the stores (ExternalProviderStore, UserLinkStore seams).
 */
@Module({
  imports: [DataProtectionModule, SessionsModule, UiModule],
  controllers: [ExternalSignInController],
  providers: [ExternalProviderClients, ExternalSignInStateStore, ExternalSignInService, ExternalSignOutService],
  exports: [ExternalSignOutService],
})
export class FederationModule {}
