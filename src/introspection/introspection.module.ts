import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { ProtocolModule } from '../protocol/protocol.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { IntrospectionEndpoint } from './introspection.endpoint';
import { IntrospectionService } from './introspection.service';

@Module({
  imports: [ClientAuthenticationModule, TokenIssuanceModule, ProtocolModule],
  providers: [IntrospectionService, IntrospectionEndpoint],
})
export class IntrospectionModule {}
