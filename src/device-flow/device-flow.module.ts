import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { ConsentModule } from '../consent/consent.module';
import { ResourcesModule } from '../resources/resources.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UiModule } from '../ui/ui.module';
import { DeviceAuthorizationController } from './device-authorization.controller';
import { DeviceCodeService } from './device-code.service';
import { DeviceFlowThrottlingService } from './device-flow-throttling.service';
import { DeviceInteractionService } from './device-interaction.service';
import { DeviceController } from './device.controller';
import { DeviceLoginContextDescriber } from './device-login-context.describer';
import { UserCodeAttemptsService } from './user-code-attempts.service';

/**
 * RFC 8628 device flow: the device authorization endpoint, the `/device` pages, and the services
 * the device_code grant (token endpoint) uses.
 */
@Module({
  imports: [ClientAuthenticationModule, ResourcesModule, SessionsModule, ConsentModule, DataProtectionModule, UiModule],
  controllers: [DeviceAuthorizationController, DeviceController],
  providers: [DeviceCodeService, DeviceFlowThrottlingService, DeviceInteractionService, DeviceLoginContextDescriber, UserCodeAttemptsService],
  exports: [DeviceCodeService, DeviceFlowThrottlingService, DeviceLoginContextDescriber],
})
export class DeviceFlowModule {}
