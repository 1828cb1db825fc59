import type { StoredDataProtectionKey } from './data-protection-key';
import { ProcessMutex } from '../common/process-mutex';
import { DataProtectionKeyStore } from './data-protection-key.store';

/**
 * A key ring that lives only in this process (ASP.NET Core's ephemeral provider): for unit
 * tests. Never for a server: a restart orphans every protected payload.
 */
export class InMemoryDataProtectionKeyStore extends DataProtectionKeyStore {
  readonly location = 'memory (ephemeral)';
  readonly ephemeral = true;
  readonly keys = new Map<string, StoredDataProtectionKey>();
  private readonly mutex = new ProcessMutex();

  async loadAll(): Promise<StoredDataProtectionKey[]> {
    return [...this.keys.values()];
  }

  async add(key: StoredDataProtectionKey): Promise<void> {
    if (this.keys.has(key.id)) throw new Error(`duplicate data-protection key ${key.id}`);
    this.keys.set(key.id, key);
  }

  async revoke(id: string): Promise<boolean> {
    const key = this.keys.get(id);
    if (!key) return false;
    this.keys.set(id, { ...key, revoked: true });
    return true;
  }

  async applicationNames(): Promise<string[]> {
    return [];
  }

  withCreationLock<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex.run(work);
  }
}
