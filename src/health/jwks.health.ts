import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig, type SigningAlgorithm } from '../config/app-config';
import { SigningService } from '../key-management/signing.service';
import { describeFailure, withTimeout } from './with-timeout';

export const JWKS_HEALTH_TIMEOUT_MS = 2000;

/**
 * The algorithm tokens are signed with when nothing else is asked for: the first static
 * credential (it takes precedence, docs/settings.md), else the first managed algorithm.
 */
export function defaultSigningAlgorithm(config: AppConfig): SigningAlgorithm | undefined {
  if (config.signingCredentials.length > 0) return config.signingCredentials[0].alg;
  if (config.keyManagement.enabled) return config.keyManagement.signingAlgorithms[0]?.alg;
  return undefined;
}

/**
 * Reads the published key set as the JWKS endpoint does, and checks that the default algorithm
 * can sign: without it no token can be issued even though the JWKS still answers.
 */
@Injectable()
export class JwksHealthIndicator {
  private readonly expectedAlgorithm?: SigningAlgorithm;

  constructor(
    private readonly signing: SigningService,
    private readonly indicators: HealthIndicatorService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.expectedAlgorithm = defaultSigningAlgorithm(config);
  }

  async check(): Promise<HealthIndicatorResult<'jwks'>> {
    const session = this.indicators.check('jwks');
    try {
      const [keySet, algorithms] = await withTimeout(
        Promise.all([this.signing.getPublishedKeySet(), this.signing.getSigningAlgorithms()]),
        JWKS_HEALTH_TIMEOUT_MS,
      );
      const keys = keySet.jwks.keys.length;
      if (keys === 0) return session.down({ message: 'the JWKS publishes no keys', keys });
      if (algorithms.length === 0) return session.down({ message: 'no key can sign', keys });
      if (this.expectedAlgorithm && !algorithms.includes(this.expectedAlgorithm)) {
        return session.down({ message: `no usable signing key for the default algorithm ${this.expectedAlgorithm}`, keys, algorithms: [...algorithms] });
      }
      // Stored keys this instance cannot unprotect are skipped, not fatal: reported here (issue 3, item 8).
      const unreadable = this.signing.getUnreadableKeyIds();
      return session.up({ keys, algorithms: [...algorithms], ...(unreadable.length > 0 ? { unreadableKeys: [...unreadable] } : {}) });
    } catch (error) {
      return session.down({ message: describeFailure(error) });
    }
  }
}
