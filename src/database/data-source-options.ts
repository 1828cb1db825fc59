import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/** Which engine a DATABASE_URL selects. */
export type DatabaseDialect = 'sqlite' | 'postgres';

export function databaseDialect(url: string): DatabaseDialect {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgres' : 'sqlite';
}

/** How long SQLite waits for another writer's lock before failing (its busy timeout). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * PostgreSQL bounds (docs/deployment.md, "Outages"), well under HTTP_REQUEST_TIMEOUT so that a
 * request needing a database that does not answer fails with 503 instead of hanging:
 * - a statement running longer is cancelled by the server (`statement_timeout`);
 * - a reply that never comes (the server or its host frozen, a dead network that still accepts
 *   packets) is given up by the client a little later (`query_timeout`, node-postgres), and the
 *   connection is discarded;
 * - a new connection, or a free one from the pool, is waited for this long (`connectionTimeoutMillis`).
 * Migrations run without the first two (runPendingMigrations): DDL on a big table may take longer.
 */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 5_000;
export const POSTGRES_QUERY_TIMEOUT_MS = 6_000;
export const POSTGRES_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * TypeORM options for a DATABASE_URL (docs/settings.md): `sqlite:PATH`, `sqlite::memory:` or
 * `postgres://…`. Schema changes only ever come from migrations/: `synchronize` stays off, and
 * migrations are run by DatabaseMigrator (under a lock), never by TypeORM's `migrationsRun`.
 */
export function dataSourceOptionsFor(url: string): DataSourceOptions {
  const common = {
    synchronize: false,
    migrationsRun: false,
    migrations: [...MIGRATIONS],
    migrationsTableName: 'migrations',
    logging: false,
  };
  if (databaseDialect(url) === 'postgres') {
    return {
      ...common,
      type: 'postgres',
      url,
      applicationName: 'identity-server',
      // An unreachable host must fail start-up and health checks, not hang them.
      connectTimeoutMS: POSTGRES_CONNECTION_TIMEOUT_MS,
      extra: {
        statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
        query_timeout: POSTGRES_QUERY_TIMEOUT_MS,
        connectionTimeoutMillis: POSTGRES_CONNECTION_TIMEOUT_MS,
      },
    };
  }
  const file = sqliteFileOf(url);
  return {
    ...common,
    type: 'better-sqlite3',
    // DatabaseModule creates the file and its folder first, private (prepareSqliteFiles).
    database: file ?? ':memory:',
    // WAL lets readers run beside the single writer; the timeout waits out short write locks.
    enableWAL: file !== undefined,
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    // In WAL mode, NORMAL syncs at checkpoints (a worker thread's, SqliteCheckpointer) instead of
    // at every commit, which better-sqlite3 would wait for on the event loop, behind the worker's
    // fsync of the database file. A process crash loses nothing; a power loss or OS crash may lose
    // the last commits before a checkpoint, never the database (docs/deployment.md).
    ...(file !== undefined && { prepareDatabase: (db: { pragma(source: string): unknown }) => { db.pragma('synchronous = NORMAL'); } }),
  };
}

/**
 * Options that cannot change the database, for the CLI's read-only commands (docs/cli.md): SQLite
 * opened read-only on an existing file (no WAL switch, which is a write), PostgreSQL sessions
 * whose transactions are read-only (`default_transaction_read_only`) and that install no
 * extension. `sqlite::memory:` is refused by the caller: a new in-memory database is empty.
 */
export function readOnlyDataSourceOptionsFor(url: string): DataSourceOptions {
  const options = dataSourceOptionsFor(url);
  if (options.type === 'postgres') {
    return { ...options, installExtensions: false, extra: { ...options.extra, options: '-c default_transaction_read_only=on' } };
  }
  if (options.type === 'better-sqlite3') {
    return { ...options, readonly: true, fileMustExist: true, enableWAL: false };
  }
  return options;
}

/** The SQLite file a DATABASE_URL names; undefined for PostgreSQL and `sqlite::memory:`. */
export function sqliteFileOf(url: string): string | undefined {
  if (databaseDialect(url) !== 'sqlite') return undefined;
  const path = url.slice('sqlite:'.length);
  return path === ':memory:' ? undefined : path;
}
