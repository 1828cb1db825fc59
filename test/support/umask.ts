import { statSync } from 'node:fs';

/**
 * Runs `work` under a given process umask (022: the usual default, which leaves new files
 * world-readable), restoring the previous umask afterwards.
 */
export async function withUmask<T>(mask: number, work: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
}

/** The permission bits of a file or folder, e.g. 0o600. */
export function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}
