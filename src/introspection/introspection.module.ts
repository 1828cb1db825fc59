import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { TokensModule } from '../tokens/tokens.module';
import { IntrospectionController } from './introspection.controller';
import { IntrospectionService } from './introspection.service';

@Module({
  imports: [ClientAuthenticationModule, TokensModule],
  controllers: [IntrospectionController],
  providers: [IntrospectionService],
})
export class IntrospectionModule {}
