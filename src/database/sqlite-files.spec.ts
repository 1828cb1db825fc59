import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modeOf, withUmask } from '../../test/support/umask';
import { exposedSqliteFilesWarning, prepareSqliteFiles } from './sqlite-files';

describe('prepareSqliteFiles', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sqlite-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prepareSqliteFiles, under umask 022 with nothing there yet, should create the folder 0700 and an empty database file 0600', async () => {
    const path = join(dir, 'data', 'identity.sqlite');
    const report = await withUmask(0o022, () => prepareSqliteFiles(path));
    expect(report).toEqual({ created: true, exposed: [] });
    expect(modeOf(join(dir, 'data'))).toBe(0o700);
    expect(modeOf(path)).toBe(0o600);
  });

  it('prepareSqliteFiles, then SQLite in WAL mode under umask 022, should leave the -wal and -shm files 0600 too', async () => {
    const path = join(dir, 'identity.sqlite');
    await withUmask(0o022, async () => {
      await prepareSqliteFiles(path);
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);');
        // SQLite gives its companion files the database file's mode (os_unix.c findCreateFileMode).
        expect(modeOf(`${path}-wal`)).toBe(0o600);
        expect(modeOf(`${path}-shm`)).toBe(0o600);
      } finally {
        db.close();
      }
    });
    expect(modeOf(path)).toBe(0o600);
  });

  it('prepareSqliteFiles, with a database the operator made readable to others, should keep its mode and report it', async () => {
    mkdirSync(join(dir, 'shared'));
    chmodSync(join(dir, 'shared'), 0o755);
    const path = join(dir, 'shared', 'identity.sqlite');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const report = await prepareSqliteFiles(path);
    expect(report).toEqual({ created: false, exposed: [{ path, mode: 0o644 }] });
    expect(modeOf(path)).toBe(0o644);
    expect(modeOf(join(dir, 'shared'))).toBe(0o755);
    expect(exposedSqliteFilesWarning(report)).toBe(
      `DATABASE_URL: ${path} (0644) can be read by other local users; the database holds grants and, with the default stores, `
      + `the signing and data-protection keys. Fix: chmod 600 ${path}`,
    );
  });

  it('prepareSqliteFiles, with a private database but a leftover readable -wal file, should report the -wal file only', async () => {
    const path = join(dir, 'identity.sqlite');
    writeFileSync(path, '', { mode: 0o600 });
    chmodSync(path, 0o600);
    writeFileSync(`${path}-wal`, '');
    chmodSync(`${path}-wal`, 0o640);
    expect((await prepareSqliteFiles(path)).exposed).toEqual([{ path: `${path}-wal`, mode: 0o640 }]);
  });

  it('exposedSqliteFilesWarning, when every file is private, should say nothing', () => {
    expect(exposedSqliteFilesWarning({ created: false, exposed: [] })).toBeUndefined();
  });
});
