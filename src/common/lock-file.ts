import { randomBytes } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './error-code';
import { writePrivateFile } from './private-files';

export interface LockFileOptions {
  /** a lock file older than this was left by a crashed process and is broken */
  readonly staleMs?: number;
  /** give up waiting after this long */
  readonly timeoutMs?: number;
  /** what the lock guards, for messages: 'signing-key lock file' */
  readonly description?: string;
  /** told when a stale lock is broken, so the caller can log it */
  readonly onStaleLock?: (lockPath: string, ageMs: number) => void;
}

/**
 * Runs `work` holding an exclusive lock file (created with O_EXCL), shared by every process that
 * uses the same path. A lock left by a crashed process is broken once older than `staleMs`; on
 * release only our own lock is removed, since after a stale-lock break another process may hold it.
 */
export async function withLockFile<T>(lockPath: string, work: () => Promise<T>, options: LockFileOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const token = `${process.pid}:${randomBytes(8).toString('hex')}`;
  // Wall-clock time on purpose (not Clock): staleness is compared with real file mtimes.
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      await writePrivateFile(lockPath, token);
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      const info = await stat(lockPath).catch(() => undefined); // released meanwhile: retry at once
      const age = info ? Date.now() - info.mtimeMs : 0;
      if (info && age > staleMs) {
        options.onStaleLock?.(lockPath, age);
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the ${options.description ?? 'lock file'} ${lockPath}`);
      await sleep(delay + Math.random() * delay);
    }
  }
  try {
    return await work();
  } finally {
    const holder = await readFile(lockPath, 'utf8').catch(() => undefined); // gone: nothing to release
    if (holder === token) await rm(lockPath, { force: true });
  }
}
