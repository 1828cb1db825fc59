import { Module } from '@nestjs/common';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { KeyManagementModule } from '../key-management/key-management.module';
import { AccessTokenService } from './access-token.service';
import { AccessTokenValidator } from './access-token.validator';
import { ReferenceTokenService } from './reference-token.service';
import { IdentityTokenService } from './identity-token.service';
import { RefreshTokenService } from './refresh-token.service';

/**
 * Token creation shared by every grant: access tokens (JWT and reference), identity and refresh
 * tokens; and access-token validation for introspection and userinfo.
 */
@Module({
  imports: [DataProtectionModule, KeyManagementModule],
  providers: [AccessTokenService, AccessTokenValidator, ReferenceTokenService, IdentityTokenService, RefreshTokenService],
  exports: [AccessTokenService, AccessTokenValidator, ReferenceTokenService, IdentityTokenService, RefreshTokenService],
})
export class TokenIssuanceModule {}
