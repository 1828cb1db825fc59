import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isKeyMaterialEncryption, type KeyMaterialEncryption, type StoredDataProtectionKey } from './data-protection-key';
import { DataProtectionKeyStore } from './data-protection-key.store';
import { errorCode } from '../common/error-code';
import { withLockFile } from '../common/lock-file';
import { createPrivateDirectory, writePrivateFile } from '../common/private-files';

/** File names are built from UUIDs only (never from other input). */
const KEY_FILE = /^key-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCK_FILE = '.create.lock';

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

/**
 * The key ring as one JSON file per key in DATA_PROTECTION_KEY_PATH (ASP.NET Core's
 * FileSystemXmlRepository), shareable through a volume. Writes go to a temporary file that is
 * renamed into place, so readers never see half a key; files are 0600, and the folder (when this
 * store creates it) 0700, set explicitly rather than left to the umask. Files
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

  readonly ephemeral = false;

  async loadAll(): Promise<StoredDataProtectionKey[]> {
    return (await this.readAll()).filter((f) => f.applicationName === this.applicationName).map(toKey);
  }

  async applicationNames(): Promise<string[]> {
    return [...new Set((await this.readAll()).map((f) => f.applicationName))].sort();
  }

  private async readAll(): Promise<KeyFile[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const files: KeyFile[] = [];
    for (const name of names.filter((n) => KEY_FILE.test(n)).sort()) files.push(await this.read(name));
    return files;
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

  /** An exclusive lock file in the folder, shared by every process using it. */
  async withCreationLock<T>(work: () => Promise<T>): Promise<T> {
    await createPrivateDirectory(this.directory);
    return withLockFile(join(this.directory, LOCK_FILE), work);
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
    await createPrivateDirectory(this.directory);
    const target = join(this.directory, `key-${file.id}.json`);
    const temporary = join(this.directory, `.key-${file.id}.${randomBytes(6).toString('hex')}.tmp`);
    await writePrivateFile(temporary, JSON.stringify(file, null, 2));
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
    && isKeyMaterialEncryption(v.encryption);
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
