import { Clock, SystemClock } from '../common/clock';
import { loadAppConfig } from '../config/app-config';
import type { DataProtectionKeyStore } from './data-protection-key.store';
import { InMemoryDataProtectionKeyStore } from './in-memory-data-protection-key.store';
import { KeyMaterialEncryptor } from './key-material.encryptor';
import { KeyRingDataProtectionProvider } from './key-ring.data-protection.provider';
import { KeyRingService } from './key-ring.service';

export interface EphemeralDataProtectionOptions {
  readonly clock?: Clock;
  readonly applicationName?: string;
  /** DATA_PROTECTION_KEY_LIFETIME syntax, e.g. '90d' */
  readonly keyLifetime?: string;
  /** share a ring between two "instances" in a test */
  readonly store?: DataProtectionKeyStore;
  readonly encryptor?: KeyMaterialEncryptor;
}

/**
 * Real protectors over an in-memory key ring, for unit tests of services that protect data
 * (no Nest module, no database): `const { provider } = createEphemeralDataProtection()`.
 */
export function createEphemeralDataProtection(options: EphemeralDataProtectionOptions = {}): {
  provider: KeyRingDataProtectionProvider; ring: KeyRingService; store: DataProtectionKeyStore;
} {
  const clock = options.clock ?? new SystemClock();
  const store = options.store ?? new InMemoryDataProtectionKeyStore();
  const config = loadAppConfig({
    DATA_PROTECTION_APPLICATION_NAME: options.applicationName ?? 'identity-server',
    DATA_PROTECTION_KEY_LIFETIME: options.keyLifetime ?? '90d',
  });
  const ring = new KeyRingService(store, options.encryptor ?? new KeyMaterialEncryptor(undefined, undefined), clock, config);
  return { provider: new KeyRingDataProtectionProvider(ring, clock), ring, store };
}
