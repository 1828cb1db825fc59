import { Module } from '@nestjs/common';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { ResourcesModule } from '../resources/resources.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { ClientCredentialsGrantHandler } from './grants/client-credentials.grant-handler';
import { RefreshTokenGrantHandler } from './grants/refresh-token.grant-handler';
import { DeviceCodeGrantHandler } from './grants/device-code.grant-handler';
import { DeviceFlowModule } from '../device-flow/device-flow.module';
import { AuthorizeModule } from '../authorize/authorize.module';
import { AuthorizationCodeGrantHandler } from './grants/authorization-code.grant-handler';
import { GRANT_HANDLERS, type GrantHandler } from './grants/grant-handler';
import { TokenController } from './token.controller';
import { UserTokenResponseGenerator } from './user-token-response.generator';

/**
 * The token endpoint. Grant handlers are listed once, below: to add a grant, add its handler to
 * `providers` and to the GRANT_HANDLERS `inject` list.
 */
@Module({
  imports: [ClientAuthenticationModule, ResourcesModule, TokenIssuanceModule, DeviceFlowModule, AuthorizeModule],
  controllers: [TokenController],
  providers: [
    UserTokenResponseGenerator,
    ClientCredentialsGrantHandler,
    RefreshTokenGrantHandler,
    DeviceCodeGrantHandler,
    AuthorizationCodeGrantHandler,
    {
      provide: GRANT_HANDLERS,
      useFactory: (...handlers: GrantHandler[]): GrantHandler[] => handlers,
      inject: [ClientCredentialsGrantHandler, RefreshTokenGrantHandler, DeviceCodeGrantHandler, AuthorizationCodeGrantHandler],
    },
  ],
  exports: [GRANT_HANDLERS],
})
export class TokenEndpointModule {}
