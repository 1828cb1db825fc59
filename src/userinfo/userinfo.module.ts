import { Module } from '@nestjs/common';
import { ResourcesModule } from '../resources/resources.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { UserInfoController } from './userinfo.controller';
import { UserInfoService } from './userinfo.service';

/** The userinfo endpoint. */
@Module({
  imports: [ResourcesModule, TokenIssuanceModule],
  controllers: [UserInfoController],
  providers: [UserInfoService],
})
export class UserInfoModule {}
