import { Global, Module } from '@nestjs/common';
import { AuthorizeLoginContextDescriber } from './authorize/authorize-login-context.describer';
import { AuthorizeModule } from './authorize/authorize.module';
import { DeviceLoginContextDescriber } from './device-flow/device-login-context.describer';
import { DeviceFlowModule } from './device-flow/device-flow.module';
import { FirstLoginContextDescriber, LoginContextDescriber } from './protocol/login-context';

/**
 * The default binding of the LoginContextDescriber seam: the authorization request's describer,
 * then the device flow's, tried in turn. It needs both feature modules, so it is bound here, in
 * the composition layer, rather than among the seam defaults (which the admin CLI loads without
 * any feature module). IdentityServerModule leaves it out when `providers` bind the seam, so the
 * seam is still bound exactly once.
 */
@Global()
@Module({
  imports: [AuthorizeModule, DeviceFlowModule],
  providers: [{
    provide: LoginContextDescriber,
    inject: [AuthorizeLoginContextDescriber, DeviceLoginContextDescriber],
    useFactory: (...describers: LoginContextDescriber[]) => new FirstLoginContextDescriber(describers),
  }],
  exports: [LoginContextDescriber],
})
export class LoginContextModule {}
