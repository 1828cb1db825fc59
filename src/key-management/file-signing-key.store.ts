import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { SerializedSigningKey } from '../stores/models';
import { SigningKeyStore } from '../stores/signing-key.store';
import { errorCode } from '../common/error-code';
import { withLockFile } from '../common/lock-file';
import { createPrivateDirectory, writePrivateFile } from '../common/private-files';
import { ProcessMutex } from '../common/process-mutex';
import { KID_PATTERN } from './signing-key-material';

const FILE_PATTERN = /^key-([A-Za-z0-9_-]{8,64})\.json$/;
const LOCK_FILE = '.signing-keys.lock';

export interface FileSigningKeyStoreOptions {
  /** a lock file older than this is left over from a crashed process and is broken */
  readonly staleLockMs?: number;
  /** give up waiting for the lock after this long */
  readonly lockTimeoutMs?: number;
}

interface StoredFile {
  readonly id: string;
  readonly version: number;
  readonly created: string;
  readonly algorithm: string;
  readonly isX509Certificate: boolean;
  readonly dataProtected: boolean;
  readonly data: string;
}

/**
 * Signing keys as one JSON file per key in KEY_MANAGEMENT_KEY_PATH. File names come only from
 * our own kids (checked against KID_PATTERN), writes are atomic (temp file + rename), files are
 * 0600 and the folder (when this store creates it) 0700, and an exclusive lock file serialises
 * key creation between processes sharing the folder.
 */
export class FileSigningKeyStore extends SigningKeyStore {
  private readonly logger = new Logger(FileSigningKeyStore.name);
  private readonly staleLockMs: number;
  private readonly lockTimeoutMs: number;
  /** serialises lock holders inside this process before the lock file is tried */
  private readonly mutex = new ProcessMutex();

  constructor(private readonly folder: string, options: FileSigningKeyStoreOptions = {}) {
    super();
    this.staleLockMs = options.staleLockMs ?? 60_000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  async loadKeys(): Promise<readonly SerializedSigningKey[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.folder);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const keys: SerializedSigningKey[] = [];
    for (const name of names.filter((n) => FILE_PATTERN.test(n)).sort()) {
      try {
        const stored = JSON.parse(await fs.readFile(join(this.folder, name), 'utf8')) as StoredFile;
        if (`key-${stored.id}.json` !== name) throw new Error('id does not match the file name');
        keys.push({ ...stored, created: new Date(stored.created) });
      } catch (error) {
        // One damaged file must not take the others down; the key is simply not available.
        if (errorCode(error) === 'ENOENT') continue;
        this.logger.error(`Skipping unreadable signing key file ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return keys;
  }

  async storeKey(key: SerializedSigningKey): Promise<void> {
    const path = this.pathFor(key.id);
    await createPrivateDirectory(this.folder);
    const stored: StoredFile = { ...key, created: key.created.toISOString() };
    const temp = join(this.folder, `.tmp-${randomBytes(8).toString('hex')}`);
    await writePrivateFile(temp, JSON.stringify(stored, null, 2));
    await fs.rename(temp, path);
  }

  async deleteKey(id: string): Promise<void> {
    await fs.rm(this.pathFor(id), { force: true });
  }

  withExclusiveLock<T>(work: () => Promise<T>): Promise<T> {
    return this.mutex.run(() => this.lockAndRun(work));
  }

  private async lockAndRun<T>(work: () => Promise<T>): Promise<T> {
    await createPrivateDirectory(this.folder);
    return withLockFile(join(this.folder, LOCK_FILE), work, {
      description: 'signing-key lock file',
      staleMs: this.staleLockMs,
      timeoutMs: this.lockTimeoutMs,
      onStaleLock: (lockPath) => this.logger.warn(`Breaking stale signing-key lock file ${lockPath} (older than ${this.staleLockMs} ms)`),
    });
  }

  private pathFor(id: string): string {
    // Never build a path from anything but our own kid format (no traversal, no odd names).
    if (!KID_PATTERN.test(id)) throw new Error(`Invalid signing key id "${id}"`);
    return join(this.folder, `key-${id}.json`);
  }
}
