import type { AppConfig } from '../../config/app-config';
import type { DoctorFinding } from '../deployment-check';

/**
 * For mistakes that are harmless on a developer's machine and costly in production (an
 * in-memory key ring, an unencrypted one): an error with NODE_ENV=production, a warning
 * otherwise, so /health stays up while developing.
 */
export function errorInProduction(config: AppConfig): DoctorFinding['severity'] {
  return config.nodeEnv === 'production' ? 'error' : 'warning';
}
