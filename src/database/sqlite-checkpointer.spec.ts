import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteCheckpointer } from './sqlite-checkpointer';

describe('SqliteCheckpointer', () => {
  let dir: string;
  let file: string;
  let db: Database.Database;
  let checkpointer: SqliteCheckpointer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-checkpoint-'));
    file = join(dir, 'identity.sqlite');
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)');
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
  afterEach(async () => {
    await checkpointer?.stop();
    checkpointer = undefined;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** About 4 MB of rows in one commit: a thousand pages, past SQLite's own checkpoint threshold. */
  const write = (): void => {
    const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
    db.transaction(() => { for (let i = 0; i < 1_000; i++) insert.run('x'.repeat(4_000)); })();
  };

  it('should stop the connection from checkpointing, and copy its commits into the database file from the worker', async () => {
    checkpointer = await SqliteCheckpointer.start(file, db, 5_000, 10, 200);
    expect(checkpointer).toBeDefined();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(file).size;
    write();
    // The commit itself left the pages in the -wal file: the event loop did not copy them.
    expect(statSync(file).size).toBe(before);
    for (let i = 0; i < 200 && statSync(file).size <= before + 3_000_000; i++) await sleep(20);
    expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
  });

  it('while commits keep coming, should let the -wal file start over instead of growing with them', async () => {
    checkpointer = await SqliteCheckpointer.start(file, db, 5_000, 10, 200);
    const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
    // 200 commits of about 40 KB (10 pages each), 8 MB in all, a few milliseconds apart.
    for (let i = 0; i < 200; i++) {
      db.transaction(() => { for (let j = 0; j < 10; j++) insert.run('x'.repeat(4_000)); })();
      await sleep(3);
    }
    // Each commit that found every frame copied wrote from the start of the file again.
    expect(statSync(`${file}-wal`).size).toBeLessThan(2_000_000);
  });

  it('after a quiet spell (the worker waits longer between checkpoints), should still copy a new commit', async () => {
    checkpointer = await SqliteCheckpointer.start(file, db, 5_000, 10, 200);
    await sleep(600);
    const before = statSync(file).size;
    write();
    for (let i = 0; i < 200 && statSync(file).size <= before + 3_000_000; i++) await sleep(20);
    expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
  });

  it('when stopped, should give the checkpoints back to the connection', async () => {
    checkpointer = await SqliteCheckpointer.start(file, db, 5_000, 10, 200);
    await checkpointer?.stop();
    checkpointer = undefined;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const before = statSync(file).size;
    write();
    expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
  });

  it('when the worker cannot open the database, should leave the connection checkpointing as before', async () => {
    const warn = jest.spyOn(require('@nestjs/common').Logger.prototype, 'warn').mockImplementation(() => undefined);
    checkpointer = await SqliteCheckpointer.start(join(dir, 'missing.sqlite'), db, 5_000, 10, 200);
    expect(checkpointer).toBeUndefined();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('SQLite checkpoints stay on the server\'s connection'));
    warn.mockRestore();
  });
});
