import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { AdminConfigurationService } from './admin-configuration.service';
import { AdminController } from './admin.controller';

/** The admin API; IdentityServerModule imports it only when ADMIN_API_ENABLED=true. */
@Module({
  imports: [TokenIssuanceModule, DataProtectionModule],
  controllers: [AdminController],
  providers: [AdminConfigurationService],
})
export class AdminModule {}
