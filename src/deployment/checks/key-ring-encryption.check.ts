import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';
import { errorInProduction } from './severity';

export const KEY_RING_UNENCRYPTED = 'key-ring-unencrypted';

/**
 * The key ring is stored without DATA_PROTECTION_MASTER_KEY or a certificate. An error in
 * production (whoever reads a backup can decrypt every grant and sign tokens), a warning
 * elsewhere, where the demo set-up runs exactly so.
 */
export function keyRingEncryptionFindings(config: AppConfig): DoctorFinding[] {
  const { masterKey, certificate } = config.dataProtection;
  if (masterKey || certificate) return [];
  return [{
    id: KEY_RING_UNENCRYPTED,
    severity: errorInProduction(config),
    message: 'The data-protection key ring is stored unencrypted at rest: anyone who can read the store or a backup of it can '
      + 'decrypt sessions, grants and stored signing keys, and sign tokens.',
    fix: 'Set DATA_PROTECTION_MASTER_KEY (openssl rand -base64 32), or DATA_PROTECTION_CERTIFICATE with DATA_PROTECTION_CERTIFICATE_KEY, '
      + 'on every instance (docs/deployment.md#data-protection).',
  }];
}

@Injectable()
export class KeyRingEncryptionCheck extends DeploymentCheck {
  readonly name = 'key-ring encryption';

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    return keyRingEncryptionFindings(this.config);
  }
}
