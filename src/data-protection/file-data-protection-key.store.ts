import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyMaterialEncryption, StoredDataProtectionKey } from './data-protection-key';
import { DataProtectionKeyStore } from './data-protection-key.store';

/** File names are built from UUIDs only (never from other input). */
const KEY_FILE = /^key-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCK_FILE = '.create.lock';
/** a lock file older than this was left by a crashed process */
const STALE_LOCK_MS = 30_000;
const LOCK_TIMEOUT_MS = 20_000;

interface KeyFile {
  readonly version: 1;
  readonly id: string;
  readonly applicationName: string;
  readonly creationDate: string;
  readonly activationDate: string;
  readonly expirationDate: string;
  readonly revoked: boolean;
  readonly encryption: KeyMaterialEncryption;
  readonly keyMaterial: string;
}

function errorCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The key ring as one JSON file per key in DATA_PROTECTION_KEY_PATH (ASP.NET Core's
 * FileSystemXmlRepository), shareable through a volume. Writes go to a temporary file that is
 * renamed into place, so readers never see half a key; files are 0600, the folder 0700. Files
 * of other application names in the same folder are ignored.
 */
export class FileDataProtectionKeyStore extends DataProtectionKeyStore {
  private readonly directory: string;

  constructor(directory: string, private readonly applicationName: string) {
    super();
    this.directory = resolve(directory);
  }

  get location(): string {
    return `file ${this.directory}`;
  }

  async loadAll(): Promise<StoredDataProtectionKey[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const keys: StoredDataProtectionKey[] = [];
    for (const name of names.filter((n) => KEY_FILE.test(n)).sort()) {
      const file = await this.read(name);
      if (file.applicationName === this.applicationName) keys.push(toKey(file));
    }
    return keys;
  }

  async add(key: StoredDataProtectionKey): Promise<void> {
    await this.write({
      version: 1,
      id: key.id,
      applicationName: this.applicationName,
      creationDate: key.creationDate.toISOString(),
      activationDate: key.activationDate.toISOString(),
      expirationDate: key.expirationDate.toISOString(),
      revoked: key.revoked,
      encryption: key.encryption,
      keyMaterial: key.keyMaterial,
    });
  }

  async revoke(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    let file: KeyFile;
    try {
      file = await this.read(`key-${id}.json`);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    if (file.applicationName !== this.applicationName) return false;
    await this.withCreationLock(() => this.write({ ...file, revoked: true }));
    return true;
  }

  /** An exclusive lock file (O_CREAT|O_EXCL) shared by every process using the folder. */
  async withCreationLock<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const lockPath = join(this.directory, LOCK_FILE);
    // Wall-clock time on purpose: lock staleness is compared with file mtimes, not simulated time.
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
        const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) {
          await unlink(lockPath).catch((e: unknown) => {
            if (errorCode(e) !== 'ENOENT') throw e;
          });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for the data-protection lock file ${lockPath}`);
        await sleep(25 + Math.floor(Math.random() * 50));
      }
    }
    try {
      return await work();
    } finally {
      await unlink(lockPath);
    }
  }

  private async read(name: string): Promise<KeyFile> {
    const path = join(this.directory, name);
    const text = await readFile(path, 'utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`data-protection key file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isKeyFile(parsed)) throw new Error(`data-protection key file ${path} is not a key of this server`);
    return parsed;
  }

  private async write(file: KeyFile): Promise<void> {
    if (!UUID.test(file.id)) throw new Error(`invalid data-protection key id ${file.id}`);
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const target = join(this.directory, `key-${file.id}.json`);
    const temporary = join(this.directory, `.key-${file.id}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(temporary, JSON.stringify(file, null, 2), { mode: 0o600, flag: 'wx' });
    try {
      await rename(temporary, target);
    } catch (error) {
      // The rename error is the one worth reporting; a leftover temp file is harmless (never read).
      await unlink(temporary).catch((cleanup: unknown) => void cleanup);
      throw error;
    }
  }
}

function isKeyFile(value: unknown): value is KeyFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.version === 1 && typeof v.id === 'string' && UUID.test(v.id) && typeof v.applicationName === 'string'
    && typeof v.creationDate === 'string' && typeof v.activationDate === 'string' && typeof v.expirationDate === 'string'
    && typeof v.revoked === 'boolean' && typeof v.keyMaterial === 'string'
    && (v.encryption === 'none' || v.encryption === 'master-key' || v.encryption === 'certificate');
}

function toKey(file: KeyFile): StoredDataProtectionKey {
  return {
    id: file.id,
    creationDate: new Date(file.creationDate),
    activationDate: new Date(file.activationDate),
    expirationDate: new Date(file.expirationDate),
    revoked: file.revoked,
    encryption: file.encryption,
    keyMaterial: file.keyMaterial,
  };
}
