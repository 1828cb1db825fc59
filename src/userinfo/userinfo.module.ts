import { Module } from '@nestjs/common';
import { ResourcesModule } from '../resources/resources.module';
import { TokensModule } from '../tokens/tokens.module';
import { UserInfoController } from './userinfo.controller';
import { UserInfoService } from './userinfo.service';

/** The userinfo endpoint. */
@Module({
  imports: [ResourcesModule, TokensModule],
  controllers: [UserInfoController],
  providers: [UserInfoService],
})
export class UserInfoModule {}
