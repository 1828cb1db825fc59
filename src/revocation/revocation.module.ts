import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { RevocationController } from './revocation.controller';
import { RevocationService } from './revocation.service';

@Module({
  imports: [ClientAuthenticationModule],
  controllers: [RevocationController],
  providers: [RevocationService],
})
export class RevocationModule {}
