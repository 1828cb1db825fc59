import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DiscoveryDocumentService } from '../discovery/discovery-document.service';
import { describeFailure, withTimeout } from './with-timeout';

export const DISCOVERY_HEALTH_TIMEOUT_MS = 2000;

/**
 * Builds the discovery document through the same service that answers
 * /.well-known/openid-configuration, so a broken resource store or key source shows here.
 */
@Injectable()
export class DiscoveryHealthIndicator {
  constructor(private readonly documents: DiscoveryDocumentService, private readonly indicators: HealthIndicatorService) {}

  async check(issuer: string): Promise<HealthIndicatorResult<'discovery'>> {
    const session = this.indicators.check('discovery');
    try {
      const document = await withTimeout(this.documents.getDocument(issuer), DISCOVERY_HEALTH_TIMEOUT_MS);
      const parsed: unknown = JSON.parse(document.json);
      const advertised = parsed && typeof parsed === 'object' && 'issuer' in parsed ? parsed.issuer : undefined;
      if (advertised !== issuer) return session.down({ message: 'discovery document names another issuer', issuer });
      return session.up({ issuer });
    } catch (error) {
      return session.down({ message: describeFailure(error), issuer });
    }
  }
}
