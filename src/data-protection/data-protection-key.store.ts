import type { StoredDataProtectionKey } from './data-protection-key';

/**
 * Persists one application's key ring (DATA_PROTECTION_KEY_STORE). Stores only persist: which
 * key protects and when keys are made is decided by resolveKeyRing (key-ring.policy.ts).
 * Every implementation is scoped to DATA_PROTECTION_APPLICATION_NAME.
 */
export abstract class DataProtectionKeyStore {
  /** where the ring lives, for logs and the doctor, e.g. `file /var/lib/idsrv/dp-keys` */
  abstract readonly location: string;
  /** true when the ring does not survive a restart (in-memory database or store): the doctor flags it */
  abstract readonly ephemeral: boolean;
  /** every key of the ring, revoked ones included */
  abstract loadAll(): Promise<StoredDataProtectionKey[]>;
  abstract add(key: StoredDataProtectionKey): Promise<void>;
  /** marks a key revoked; false when there is no such key */
  abstract revoke(id: string): Promise<boolean>;
  /**
   * Runs `work` while no other instance sharing the store runs its own: key creation re-reads
   * the ring inside it, so instances starting together on an empty store make one key.
   */
  abstract withCreationLock<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Every application name that has keys in this backend (not only ours): the doctor warns when
   * DATA_PROTECTION_APPLICATION_NAME differs from the name existing keys were made with.
   */
  abstract applicationNames(): Promise<string[]>;
}
