import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { errorCode } from '../common/error-code';
import { StartupError } from '../common/startup-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { databaseDialect, dataSourceOptionsFor, sqliteFileOf } from './data-source-options';
import { DatabaseMigrator, migrateAtStartup } from './database.migrator';
import { exposedSqliteFilesWarning, prepareSqliteFiles } from './sqlite-files';
import { SqliteCheckpointHost } from './sqlite-checkpoint.host';

/** Errors worth retrying at start-up: the server is not reachable yet (e.g. still booting). */
const TRANSIENT_CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

function isTransientConnectError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && TRANSIENT_CONNECT_ERRORS.has(code);
}

/** Start-up connection attempts on PostgreSQL (it may still be booting next to us), a second apart. */
const POSTGRES_CONNECT_ATTEMPTS = 3;
const CONNECT_RETRY_DELAY_MS = 1000;

function typeOrmOptions(config: AppConfig): TypeOrmModuleOptions {
  return {
    ...dataSourceOptionsFor(config.database.url),
    // Feature modules register their entities with TypeOrmModule.forFeature.
    autoLoadEntities: true,
    // Carries DATABASE_MIGRATIONS_RUN to the factory below, which runs them itself under a lock;
    // TypeORM's own flag is switched off there.
    migrationsRun: config.database.migrationsRun,
    // The factory below retries and reports itself: @nestjs/typeorm's retry logs an error line
    // with a stack per attempt, which an operator would take for the failure itself.
    retryAttempts: 1,
    toRetry: () => false,
  };
}

/** Where DATABASE_URL points, without its password: `PostgreSQL at db:5432 (database idsrv)`. */
export function describeDatabaseUrl(url: string): string {
  if (databaseDialect(url) === 'sqlite') return `SQLite file ${sqliteFileOf(url) ?? ':memory:'}`;
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${database ? ` (database ${database})` : ''}`;
  } catch {
    // loadAppConfig accepted it by its prefix only; say no more than that.
    return 'PostgreSQL';
  }
}

function reason(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}

function unreachable(url: string, error: unknown): StartupError {
  const where = describeDatabaseUrl(url);
  const postgres = databaseDialect(url) === 'postgres';
  const detail = error instanceof Error && errorCode(error) !== error.message ? `${reason(error)}: ${error.message}` : reason(error);
  return new StartupError(`cannot open the database: ${where} (DATABASE_URL): ${detail}`, {
    setting: 'DATABASE_URL',
    fix: postgres
      ? 'check that PostgreSQL is running and reachable from this host (firewall, port) and that DATABASE_URL has the right '
        + 'host, port, user, password and database (docs/settings.md#database)'
      : 'check that the folder of the SQLite file exists or can be created and is writable by this user, or change DATABASE_URL '
        + '(docs/settings.md#database)',
  }, { cause: error });
}

async function connect(options: DataSourceOptions): Promise<DataSource> {
  const url = (options as { url?: string }).url;
  const attempts = options.type === 'postgres' ? POSTGRES_CONNECT_ATTEMPTS : 1;
  const logger = new Logger('Database');
  for (let attempt = 1; ; attempt++) {
    try {
      return await new DataSource({ ...options, migrationsRun: false }).initialize();
    } catch (error) {
      const databaseUrl = url ?? `sqlite:${String(options.database)}`;
      if (attempt >= attempts || !isTransientConnectError(error)) throw unreachable(databaseUrl, error);
      logger.warn(`${describeDatabaseUrl(databaseUrl)} not reachable yet (${reason(error)}); retrying (${attempt}/${attempts - 1})`);
      await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_DELAY_MS));
    }
  }
}

/**
 * Creates, connects and (when DATABASE_MIGRATIONS_RUN) migrates the DataSource before any other
 * provider can inject it, so every module's onModuleInit finds its tables.
 */
async function createMigratedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('TypeORM options are missing');
  if (options.type === 'better-sqlite3' && options.database !== ':memory:') {
    let prepared;
    try {
      prepared = await prepareSqliteFiles(options.database);
    } catch (error) {
      // e.g. a folder that cannot be created: the same one line as a file SQLite cannot open
      throw unreachable(`sqlite:${options.database}`, error);
    }
    const warning = exposedSqliteFilesWarning(prepared);
    if (warning) new Logger('Database').warn(warning);
  }
  const dataSource = await connect(options);
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
  providers: [DatabaseMigrator, SqliteCheckpointHost],
  exports: [DatabaseMigrator],
})
export class DatabaseModule {}
