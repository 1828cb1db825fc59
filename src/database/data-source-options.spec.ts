import { databaseDialect, dataSourceOptionsFor } from './data-source-options';

describe('dataSourceOptionsFor', () => {
  it('dataSourceOptionsFor, when given sqlite:PATH, should open that file with WAL and a busy timeout', () => {
    expect(dataSourceOptionsFor('sqlite:data/identity.sqlite')).toMatchObject({
      type: 'better-sqlite3', database: 'data/identity.sqlite', enableWAL: true, timeout: 5000,
    });
  });

  it('dataSourceOptionsFor, when given sqlite::memory:, should use an in-memory database without WAL', () => {
    expect(dataSourceOptionsFor('sqlite::memory:')).toMatchObject({ type: 'better-sqlite3', database: ':memory:', enableWAL: false });
  });

  it('dataSourceOptionsFor, when given a postgres URL, should use pg with that URL', () => {
    for (const url of ['postgres://u:p@db:5432/idsrv', 'postgresql://db/idsrv']) {
      expect(dataSourceOptionsFor(url)).toMatchObject({ type: 'postgres', url });
      expect(databaseDialect(url)).toBe('postgres');
    }
  });

  it('dataSourceOptionsFor, whatever the URL, should never synchronize nor let TypeORM run migrations', () => {
    for (const url of ['sqlite::memory:', 'postgres://db/idsrv']) {
      const options = dataSourceOptionsFor(url);
      expect(options.synchronize).toBe(false);
      expect(options.migrationsRun).toBe(false);
      expect(options.migrations).not.toHaveLength(0);
    }
  });
});
