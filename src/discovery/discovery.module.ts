import { Module } from '@nestjs/common';
import { KeyManagementModule } from '../key-management/key-management.module';
import { DiscoveryController } from './discovery.controller';
import { DiscoveryDocumentService } from './discovery-document.service';

/**
 * Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS. ResourceStore and the
 * supported grant types are seams bound by IdentityServerModule.forRoot.
 */
@Module({
  imports: [KeyManagementModule],
  controllers: [DiscoveryController],
  providers: [DiscoveryDocumentService],
  exports: [DiscoveryDocumentService],
})
export class DiscoveryModule {}
