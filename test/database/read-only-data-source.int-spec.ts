import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptionsFor, readOnlyDataSourceOptionsFor } from '../../src/database/data-source-options';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres } from '../support/test-app';

/** The CLI's read-only commands rely on the connection itself refusing writes, not only on the code not trying. */
describe('readOnlyDataSourceOptionsFor', () => {
  it('readOnlyDataSourceOptionsFor, on SQLite, should open the file read-only so any write fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ro-ds-'));
    try {
      const url = `sqlite:${join(dir, 'db.sqlite')}`;
      const writer = await new DataSource(dataSourceOptionsFor(url)).initialize();
      await writer.query('CREATE TABLE t (x integer)');
      await writer.destroy();
      const reader = await new DataSource(readOnlyDataSourceOptionsFor(url)).initialize();
      try {
        await expect(reader.query('SELECT count(*) AS n FROM t')).resolves.toEqual([{ n: 0 }]);
        await expect(reader.query('INSERT INTO t VALUES (1)')).rejects.toThrow(/readonly/);
      } finally {
        await reader.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeIfPostgres('readOnlyDataSourceOptionsFor on PostgreSQL', () => {
  it('readOnlyDataSourceOptionsFor, on PostgreSQL, should make every transaction read-only', async () => {
    const database = await createTestDatabase();
    const reader = await new DataSource(readOnlyDataSourceOptionsFor(database.url)).initialize();
    try {
      await expect(reader.query('SELECT count(*) FROM migrations')).resolves.toHaveLength(1);
      await expect(reader.query('CREATE TABLE t (x integer)')).rejects.toThrow(/read-only transaction/);
    } finally {
      await reader.destroy();
      await database.drop();
    }
  });
});
