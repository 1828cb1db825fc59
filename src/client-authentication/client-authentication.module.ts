import { Module } from '@nestjs/common';
import { ResourcesModule } from '../resources/resources.module';
import { ApiResourceAuthenticator } from './api-resource-authenticator';
import { ClientAuthenticator } from './client-authenticator';
import { ClientAssertionValidator } from './client-assertion.validator';
import { DefaultClientAuthenticator } from './default-client-authenticator';

/** One client authentication for token, introspection, revocation, PAR and device endpoints. */
@Module({
  imports: [ResourcesModule],
  providers: [
    ClientAssertionValidator,
    ApiResourceAuthenticator,
    { provide: ClientAuthenticator, useClass: DefaultClientAuthenticator },
  ],
  exports: [ClientAuthenticator, ApiResourceAuthenticator],
})
export class ClientAuthenticationModule {}
