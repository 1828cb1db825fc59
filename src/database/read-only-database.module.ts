import { Module } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { existsSync } from 'node:fs';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { databaseDialect, readOnlyDataSourceOptionsFor, sqliteFileOf } from './data-source-options';

/** The database a read-only command was pointed at has no schema (or an older one): the message says what to run. */
export class DatabaseNotMigratedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseNotMigratedError';
  }
}

export const NO_TABLES_MESSAGE = 'the database has no tables yet: run `npm run cli -- migrate` (or start the server)';

function typeOrmOptions(config: AppConfig): TypeOrmModuleOptions {
  const url = config.database.url;
  if (databaseDialect(url) === 'sqlite') {
    // TypeORM would create a missing file and its folder; a new in-memory database has no tables.
    const file = sqliteFileOf(url);
    if (file === undefined || !existsSync(file)) throw new DatabaseNotMigratedError(NO_TABLES_MESSAGE);
  }
  return {
    ...readOnlyDataSourceOptionsFor(url),
    autoLoadEntities: true,
    // A command answers at once: an unreachable database is reported, not retried.
    retryAttempts: 0,
  };
}

/**
 * Opens the DataSource read-only and checks that migrations have run: the stores would otherwise
 * fail on their first query with "no such table".
 */
async function openMigratedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('TypeORM options are missing');
  const dataSource = await new DataSource(options).initialize();
  try {
    const runner = dataSource.createQueryRunner();
    try {
      if (!(await runner.hasTable('migrations'))) throw new DatabaseNotMigratedError(NO_TABLES_MESSAGE);
    } finally {
      await runner.release();
    }
    // The migrations table exists, so this only reads it.
    if (await dataSource.showMigrations()) {
      throw new DatabaseNotMigratedError('the database schema is older than this version: run `npm run cli -- migrate` (or start the server)');
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * DatabaseModule for the CLI's read-only commands: the same entities and stores, on a connection
 * that cannot write (see readOnlyDataSourceOptionsFor), never migrated whatever
 * DATABASE_MIGRATIONS_RUN says, and refused with one clear line when the schema is missing.
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: typeOrmOptions,
      dataSourceFactory: openMigratedDataSource,
    }),
  ],
})
export class ReadOnlyDatabaseModule {}
