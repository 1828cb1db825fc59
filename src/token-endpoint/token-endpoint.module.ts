import { Module, type DynamicModule, type ModuleMetadata, type Type } from '@nestjs/common';
import { AuthorizeModule } from '../authorize/authorize.module';
import { ClientAuthenticationModule } from '../client-authentication/client-authentication.module';
import { DeviceFlowModule } from '../device-flow/device-flow.module';
import { ResourcesModule } from '../resources/resources.module';
import { SupportedGrantTypes } from '../protocol/grant-types';
import { ProtocolModule } from '../protocol/protocol.module';
import { TokenIssuanceModule } from '../token-issuance/token-issuance.module';
import { AuthorizationCodeGrantHandler } from './grants/authorization-code.grant-handler';
import { ClientCredentialsGrantHandler } from './grants/client-credentials.grant-handler';
import { DeviceCodeGrantHandler } from './grants/device-code.grant-handler';
import { GRANT_HANDLERS, grantTypeOf, type GrantHandler } from './grants/grant-handler';
import { RefreshTokenGrantHandler } from './grants/refresh-token.grant-handler';
import { TokenEndpointMetrics } from './token-endpoint.metrics';
import { TokenEndpoint } from './token.endpoint';
import { UserTokenResponseGenerator } from './user-token-response.generator';

/** The grants this server ships, in the order discovery lists them. */
export const BUILT_IN_GRANT_HANDLERS: readonly Type<GrantHandler>[] = [
  AuthorizationCodeGrantHandler,
  ClientCredentialsGrantHandler,
  RefreshTokenGrantHandler,
  DeviceCodeGrantHandler,
];

/**
 * The registry of grant names for a list of handlers (built-ins first, then extensions), refusing
 * a name declared twice: the token endpoint could only pick one of them.
 */
export function supportedGrantTypesOf(handlers: readonly Type<GrantHandler>[]): SupportedGrantTypes {
  const byName = new Map<string, Type<GrantHandler>>();
  for (const handler of handlers) {
    const name = grantTypeOf(handler);
    const earlier = byName.get(name);
    if (earlier) throw new Error(`grant type "${name}" is handled by both ${earlier.name} and ${handler.name}`);
    byName.set(name, handler);
  }
  return new SupportedGrantTypes(byName.keys());
}

export interface TokenEndpointModuleOptions {
  /** every grant handler, built-ins included (IdentityServerModule passes them) */
  readonly grantHandlers: readonly Type<GrantHandler>[];
  /** the integrator's modules, so extension handlers can inject their exports */
  readonly imports?: ModuleMetadata['imports'];
}

/**
 * The token endpoint. Handlers are instantiated here, so a handler (built-in or extension)
 * injects what this module sees — client authentication, resources, token issuance, device flow,
 * authorization codes, the global seams — plus the integrator's `imports`.
 */
@Module({})
export class TokenEndpointModule {
  static forRoot(options: TokenEndpointModuleOptions): DynamicModule {
    const handlers = [...options.grantHandlers];
    return {
      module: TokenEndpointModule,
      imports: [
        ClientAuthenticationModule, ResourcesModule, TokenIssuanceModule, DeviceFlowModule, AuthorizeModule, ProtocolModule,
        ...(options.imports ?? []),
      ],
      providers: [
        UserTokenResponseGenerator,
        TokenEndpointMetrics,
        TokenEndpoint,
        ...handlers,
        { provide: GRANT_HANDLERS, inject: handlers, useFactory: (...instances: GrantHandler[]): GrantHandler[] => instances },
      ],
      exports: [GRANT_HANDLERS, UserTokenResponseGenerator],
    };
  }
}
