import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { errorCode } from '../common/error-code';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { databaseDialect, dataSourceOptionsFor } from './data-source-options';
import { DatabaseMigrator, migrateAtStartup } from './database.migrator';
import { exposedSqliteFilesWarning, prepareSqliteFiles } from './sqlite-files';

/** Errors worth retrying at start-up: the server is not reachable yet (e.g. still booting). */
const TRANSIENT_CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

function isTransientConnectError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && TRANSIENT_CONNECT_ERRORS.has(code);
}

function typeOrmOptions(config: AppConfig): TypeOrmModuleOptions {
  const postgres = databaseDialect(config.database.url) === 'postgres';
  return {
    ...dataSourceOptionsFor(config.database.url),
    // Feature modules register their entities with TypeOrmModule.forFeature.
    autoLoadEntities: true,
    // Carries DATABASE_MIGRATIONS_RUN to the factory below, which runs them itself under a lock;
    // TypeORM's own flag is switched off there.
    migrationsRun: config.database.migrationsRun,
    retryAttempts: postgres ? 3 : 1,
    retryDelay: 1000,
    toRetry: (error: unknown) => postgres && isTransientConnectError(error),
  };
}

/**
 * Creates, connects and (when DATABASE_MIGRATIONS_RUN) migrates the DataSource before any other
 * provider can inject it, so every module's onModuleInit finds its tables.
 */
async function createMigratedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('TypeORM options are missing');
  if (options.type === 'better-sqlite3' && options.database !== ':memory:') {
    const warning = exposedSqliteFilesWarning(await prepareSqliteFiles(options.database));
    if (warning) new Logger('Database').warn(warning);
  }
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  if (!options.migrationsRun) return dataSource;
  try {
    await migrateAtStartup(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/**
 * The database chosen by DATABASE_URL (SQLite through better-sqlite3, or PostgreSQL through pg).
 * The DataSource itself is global (health pings it; stores get repositories from it).
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: typeOrmOptions,
      dataSourceFactory: createMigratedDataSource,
    }),
  ],
  providers: [DatabaseMigrator],
  exports: [DatabaseMigrator],
})
export class DatabaseModule {}
