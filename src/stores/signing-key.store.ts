import type { SerializedSigningKey } from './models';

/** Persists managed signing keys; decisions about them live in key-management. */
export abstract class SigningKeyStore {
  abstract loadKeys(): Promise<readonly SerializedSigningKey[]>;
  abstract storeKey(key: SerializedSigningKey): Promise<void>;
  abstract deleteKey(id: string): Promise<void>;
  /**
   * Runs `work` while holding the store's exclusive lock (PostgreSQL advisory lock, SQLite's
   * single writer, a lock file), so instances sharing the store never create keys twice.
   */
  abstract withExclusiveLock<T>(work: () => Promise<T>): Promise<T>;
}
