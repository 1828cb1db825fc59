import { open, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** a lock file older than this was left by a crashed process */
const STALE_LOCK_MS = 30_000;
const LOCK_TIMEOUT_MS = 20_000;

/** Node's system-error code; not `instanceof Error`, which fails across realms (e.g. under Jest). */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `work` holding an exclusive lock file (O_CREAT|O_EXCL), shared by every process that
 * uses the same path; a lock left by a crashed process is broken after 30 s.
 */
export async function withLockFile<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
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
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock file ${lockPath}`);
      await sleep(25 + Math.floor(Math.random() * 50));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lockPath);
  }
}
