import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorCode } from '../common/error-code';
import { createPrivateDirectory, createPrivateFileIfMissing } from '../common/private-files';

/** The files SQLite keeps beside a database: write-ahead log, shared-memory index, rollback journal. */
const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

export interface SqliteFilesReport {
  /** true when the database file did not exist and was created here (0600) */
  readonly created: boolean;
  /** existing database or companion files that users other than the owner may read or write */
  readonly exposed: ReadonlyArray<{ readonly path: string; readonly mode: number }>;
}

/**
 * Prepares a SQLite database file before the driver opens it. SQLite creates a missing file
 * 0644 (minus the umask), yet it holds grants and, with the default stores, the signing keys
 * and the data-protection key ring. So a missing file is created here, empty, 0600 (an empty
 * file is a valid empty database), and its folder 0700 if we create that too. SQLite then gives
 * the -wal, -shm and -journal files the mode of the database file (findCreateFileMode in
 * os_unix.c), so they are 0600 as well.
 *
 * Files that already exist are left as they are (the operator may share them with a backup user
 * on purpose); they are reported when group or others may access them, for a warning.
 */
export async function prepareSqliteFiles(databasePath: string): Promise<SqliteFilesReport> {
  const path = resolve(databasePath);
  await createPrivateDirectory(dirname(path));
  const created = await createPrivateFileIfMissing(path);
  const exposed: { path: string; mode: number }[] = [];
  for (const file of [path, ...COMPANION_SUFFIXES.map((suffix) => path + suffix)]) {
    const mode = await fileMode(file);
    if (mode !== undefined && (mode & 0o077) !== 0) exposed.push({ path: file, mode });
  }
  return { created, exposed };
}

/** The one warning line for exposed files: what is at risk and the command that fixes it. */
export function exposedSqliteFilesWarning(report: SqliteFilesReport): string | undefined {
  if (report.exposed.length === 0) return undefined;
  const files = report.exposed.map((f) => `${f.path} (${(f.mode & 0o777).toString(8).padStart(4, '0')})`).join(', ');
  return `DATABASE_URL: ${files} can be read by other local users; the database holds grants and, `
    + `with the default stores, the signing and data-protection keys. Fix: chmod 600 ${report.exposed.map((f) => f.path).join(' ')}`;
}

async function fileMode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
