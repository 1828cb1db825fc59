import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';

export const ISSUER_HTTP_IN_PRODUCTION = 'issuer-http-in-production';

export function issuerSchemeFindings(config: AppConfig): DoctorFinding[] {
  if (config.nodeEnv !== 'production' || !config.issuerUri?.startsWith('http://')) return [];
  return [{
    id: ISSUER_HTTP_IN_PRODUCTION,
    severity: 'error',
    message: `ISSUER_URI is ${config.issuerUri} with NODE_ENV=production: tokens, codes and cookies travel unencrypted and browsers `
      + 'drop secure cookies.',
    fix: 'Set ISSUER_URI to the https:// address clients use (docs/settings.md#listening-and-identity).',
  }];
}

/** `ISSUER_URI` with `http://` when NODE_ENV=production. */
@Injectable()
export class IssuerSchemeCheck extends DeploymentCheck {
  readonly name = 'issuer scheme';

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    return issuerSchemeFindings(this.config);
  }
}
