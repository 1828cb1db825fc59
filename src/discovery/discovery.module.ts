import { Module } from '@nestjs/common';
import { DiscoveryController } from './discovery.controller';
import { DiscoveryDocumentService } from './discovery-document.service';

/**
 * Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS. ResourceStore and
 * SigningService come from the stores and key-management modules (global).
 */
@Module({
  controllers: [DiscoveryController],
  providers: [DiscoveryDocumentService],
  exports: [DiscoveryDocumentService],
})
export class DiscoveryModule {}
