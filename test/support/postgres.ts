import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';

/**
 * PostgreSQL for tests (STYLE habit 9, like Immich's medium tests): global setup migrates one
 * template database per run; each test file clones its own database from it, which takes
 * milliseconds instead of re-running every migration.
 */

/** Environment variable through which global setup hands the template's name to the workers. */
export const TEMPLATE_DATABASE_ENV = 'IDSRV_TEST_TEMPLATE_DATABASE';

/** Databases the test support creates start with these prefixes (and carry their creation time). */
const TEMPLATE_PREFIX = 'idsrv_tmpl_';
const TEST_PREFIX = 'idsrv_test_';
/** Leftovers of crashed runs older than this are dropped by the next run's global setup. */
const STALE_AFTER_SECONDS = 6 * 3600;

function baseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  return url;
}

/** The URL of database `name` on the TEST_DATABASE_URL server. */
export function urlForDatabase(name: string): string {
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

function quoteIdentifier(name: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected database name "${name}"`);
  return `"${name}"`;
}

async function withServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: baseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}${Math.floor(Date.now() / 1000)}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

async function migrate(url: string): Promise<string[]> {
  const dataSource = await new DataSource(dataSourceOptionsFor(url)).initialize();
  try {
    return await runPendingMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  // FORCE (PostgreSQL 13+) ends connections a test forgot to close.
  await withServer((client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
}

/** Global setup: a fresh database with every migration of migrations/index.ts applied. */
export async function createTemplateDatabase(): Promise<string> {
  const name = uniqueName(TEMPLATE_PREFIX);
  await withServer((client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  try {
    await migrate(urlForDatabase(name));
  } catch (error) {
    await dropDatabase(name);
    throw error;
  }
  return name;
}

/** Drops template and test databases left behind by runs that crashed hours ago. */
export async function dropStaleTestDatabases(): Promise<void> {
  const cutoff = Math.floor(Date.now() / 1000) - STALE_AFTER_SECONDS;
  const { rows } = await withServer((client) => client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'idsrv\\_tmpl\\_%' OR datname LIKE 'idsrv\\_test\\_%'",
  ));
  for (const { datname } of rows) {
    const created = Number(/^idsrv_(?:tmpl|test)_(\d+)_/.exec(datname)?.[1]);
    if (Number.isFinite(created) && created < cutoff) await dropDatabase(datname);
  }
}

const SOURCE_IN_USE = '55006';

/** A new database with no tables at all (for tests of migrating itself). Call `drop()` after. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = uniqueName(TEST_PREFIX);
  await withServer((client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
  return { url: urlForDatabase(name), name, drop: () => dropDatabase(name) };
}

/**
 * A new, fully migrated database for one test file, cloned from the run's template (or migrated
 * from scratch when no template was prepared). Call `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = uniqueName(TEST_PREFIX);
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (template) {
    for (let attempt = 1; ; attempt++) {
      try {
        await withServer((client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(template)}`));
        break;
      } catch (error) {
        // Cloning needs the template to be idle; another worker's clone may be holding it briefly.
        const code = (error as { code?: unknown }).code;
        if (code !== SOURCE_IN_USE || attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } else {
    await withServer((client) => client.query(`CREATE DATABASE ${quoteIdentifier(name)}`));
    await migrate(urlForDatabase(name));
  }
  return { url: urlForDatabase(name), name, drop: () => dropDatabase(name) };
}
