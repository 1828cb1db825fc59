import { Module } from '@nestjs/common';
import { AccessTokenService } from './access-token.service';
import { ReferenceTokenService } from './reference-token.service';
import { IdentityTokenService } from './identity-token.service';
import { RefreshTokenService } from './refresh-token.service';

/** Token creation shared by every grant: access tokens (JWT and reference), identity and refresh tokens. */
@Module({
  providers: [AccessTokenService, ReferenceTokenService, IdentityTokenService, RefreshTokenService],
  exports: [AccessTokenService, ReferenceTokenService, IdentityTokenService, RefreshTokenService],
})
export class TokensModule {}
