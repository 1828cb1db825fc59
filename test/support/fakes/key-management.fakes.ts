import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ProcessMutex } from '../../../src/common/process-mutex';
import { loadAppConfig, type AppConfig } from '../../../src/config/app-config';
import { DataProtectionProvider, DataProtector, UnprotectError } from '../../../src/data-protection/data-protector';
import { InMemoryDataProtectionKeyStore } from '../../../src/data-protection/in-memory-data-protection-key.store';
import type { SerializedSigningKey } from '../../../src/stores/models';
import { SigningKeyStore } from '../../../src/stores/signing-key.store';

/** Hand-written fakes for key-management unit specs (STYLE habit 9). */
export { FakeClock } from './fake-clock';

export class InMemorySigningKeyStore extends SigningKeyStore {
  readonly rows = new Map<string, SerializedSigningKey>();
  lockCount = 0;

  async loadKeys(): Promise<readonly SerializedSigningKey[]> {
    return [...this.rows.values()];
  }

  async storeKey(key: SerializedSigningKey): Promise<void> {
    this.rows.set(key.id, key);
  }

  async deleteKey(id: string): Promise<void> {
    this.rows.delete(id);
  }

  private readonly mutex = new ProcessMutex();

  withExclusiveLock<T>(work: () => Promise<T>): Promise<T> {
    this.lockCount++;
    return this.mutex.run(work);
  }
}

/** A store that an outage can take down (`down`: every call fails) or that loses writes (`dropWrites`). */
export class FlakySigningKeyStore extends InMemorySigningKeyStore {
  down = false;
  dropWrites = false;

  override async loadKeys(): Promise<readonly SerializedSigningKey[]> {
    if (this.down) throw new Error('signing-key store is unreachable');
    return super.loadKeys();
  }

  override async storeKey(key: SerializedSigningKey): Promise<void> {
    if (this.down) throw new Error('signing-key store is unreachable');
    if (!this.dropWrites) await super.storeKey(key);
  }
}

/** Real AES-256-GCM under one random key, bound to the purpose chain; `broken` makes unprotect fail. */
export class FakeDataProtectionProvider extends DataProtectionProvider {
  readonly key = randomBytes(32);
  broken = false;
  /** how many payloads were unprotected (a stored key is unprotected when it is imported) */
  unprotected = 0;

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new FakeDataProtector(this, [purpose, ...subPurposes]);
  }
}

class FakeDataProtector extends DataProtector {
  constructor(private readonly provider: FakeDataProtectionProvider, readonly purposes: readonly string[]) {
    super();
  }

  async protect(plaintext: string | Uint8Array): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.provider.key, iv);
    cipher.setAAD(Buffer.from(this.purposes.join('/')));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  async unprotect(payload: string): Promise<string> {
    return Buffer.from(await this.unprotectBytes(payload)).toString('utf8');
  }

  async unprotectBytes(payload: string): Promise<Uint8Array> {
    this.provider.unprotected++;
    if (this.provider.broken) throw new UnprotectError('key-not-found', 'The key k-1 was not found in the key ring', 'k-1');
    const data = Buffer.from(payload, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.provider.key, data.subarray(0, 12));
      decipher.setAAD(Buffer.from(this.purposes.join('/')));
      decipher.setAuthTag(data.subarray(12, 28));
      return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
    } catch (error) {
      throw new UnprotectError('tampered-or-wrong-purpose', error instanceof Error ? error.message : String(error));
    }
  }

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new FakeDataProtector(this.provider, [...this.purposes, purpose, ...subPurposes]);
  }
}

/** A configuration from docs/settings.md settings (defaults for the rest). */
export function keyConfig(env: Record<string, string> = {}): AppConfig {
  return loadAppConfig({ DATABASE_URL: 'sqlite::memory:', ...env });
}

export const DAY = 86_400_000;

/**
 * One in-memory data-protection backend holding several application names' rings, as a shared
 * database does: each instance sees only its own name's keys, and every name is listed.
 */
export class NamedDataProtectionKeyStore extends InMemoryDataProtectionKeyStore {
  constructor(private readonly names: string[]) {
    super();
  }

  override async applicationNames(): Promise<string[]> {
    return [...this.names];
  }
}
