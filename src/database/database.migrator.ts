import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { withAdvisoryLock } from './advisory-lock';

/**
 * Fixed PostgreSQL advisory-lock key held while migrating, so several instances starting at once
 * on one empty database migrate it exactly once (the others wait, then find nothing pending).
 */
export const MIGRATION_LOCK_KEY = '7391046650221';

/** Names of the migrations each DataSource ran while starting (for `migrate` and the logs). */
const ranAtStartup = new WeakMap<DataSource, readonly string[]>();

function withMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  // SQLite has a single writer and each migration runs in its own transaction: no lock needed.
  if (dataSource.options.type !== 'postgres') return work();
  return withAdvisoryLock(dataSource, '$1', MIGRATION_LOCK_KEY, work);
}

/**
 * Runs every pending migration of migrations/index.ts; returns the names of those that ran. On
 * PostgreSQL they run on a connection of their own without the statement and reply timeouts of
 * the application's pool (data-source-options.ts): DDL on a big table may take minutes.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  const extra = (dataSource.options as { extra?: Record<string, unknown> }).extra;
  if (dataSource.options.type !== 'postgres' || !extra || (extra.statement_timeout === undefined && extra.query_timeout === undefined)) {
    return migrate(dataSource);
  }
  const { statement_timeout: _statement, query_timeout: _query, ...rest } = extra;
  const unbounded = await new DataSource({ ...dataSource.options, extra: { ...rest, max: 2 } }).initialize();
  try {
    return await migrate(unbounded);
  } finally {
    await unbounded.destroy();
  }
}

async function migrate(dataSource: DataSource): Promise<string[]> {
  const ran = await withMigrationLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
  return ran.map((migration) => migration.name);
}

/**
 * Used by the DataSource factory: migrates before the DataSource is handed to any other provider,
 * so no module's onModuleInit ever sees a missing table.
 */
export async function migrateAtStartup(dataSource: DataSource): Promise<void> {
  const names = await runPendingMigrations(dataSource);
  ranAtStartup.set(dataSource, names);
  const logger = new Logger('Database');
  if (names.length > 0) logger.log(`Applied migrations: ${names.join(', ')}`);
  else logger.debug('Database schema is up to date');
}

/** Runs migrations on demand (CLI `migrate`) and tells what start-up already applied. */
@Injectable()
export class DatabaseMigrator {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Migrations applied while this process started (empty when DATABASE_MIGRATIONS_RUN=false). */
  get appliedAtStartup(): readonly string[] {
    return ranAtStartup.get(this.dataSource) ?? [];
  }

  runPending(): Promise<string[]> {
    return runPendingMigrations(this.dataSource);
  }

  /** True when migrations/index.ts holds migrations the database has not run yet. */
  hasPending(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }
}
