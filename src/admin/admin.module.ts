import { Module } from '@nestjs/common';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { AdminConfigurationService } from './admin-configuration.service';
import { AdminController } from './admin.controller';

/** The admin API; IdentityServerModule imports it only when ADMIN_API_ENABLED=true. */
@Module({
  imports: [TokenIssuanceModule],
  controllers: [AdminController],
  providers: [AdminConfigurationService],
})
export class AdminModule {}
