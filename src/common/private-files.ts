import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorCode } from './error-code';

/** Only the server's own user may list or enter a folder the server creates for secrets. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
/** Only the server's own user may read or write a file holding keys or grants. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `directory` and any missing parents as 0700. Folders that already exist keep their
 * mode: they belong to the operator, who may share them on purpose. mkdir's mode passes through
 * the umask, so every folder created here is chmod-ed explicitly afterwards.
 */
export async function createPrivateDirectory(directory: string): Promise<void> {
  const target = resolve(directory);
  const firstCreated = await mkdir(target, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (firstCreated === undefined) return;
  const top = resolve(firstCreated);
  for (let folder = target; ; folder = dirname(folder)) {
    await chmod(folder, PRIVATE_DIRECTORY_MODE);
    if (folder === top || dirname(folder) === folder) return;
  }
}

/**
 * Writes a new file that must not exist yet (O_EXCL), readable by its owner only: opened with
 * mode 0600 and chmod-ed on the open descriptor before a byte is written, whatever the umask.
 * Fails with EEXIST when the file is already there.
 */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  const handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(data, 'utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Creates an empty 0600 file unless one is already there. Answers whether it was created; an
 * existing file is left as it is.
 */
export async function createPrivateFileIfMissing(path: string): Promise<boolean> {
  try {
    await writePrivateFile(path, '');
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}
