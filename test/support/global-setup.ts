import { createTemplateDatabase, dropStaleTestDatabases, TEMPLATE_DATABASE_ENV } from './postgres';

/**
 * Runs once before all suites. With TEST_DATABASE_URL, migrates a template database that each
 * PostgreSQL test file clones (test/support/postgres.ts); workers inherit its name through the
 * environment, and global teardown drops it.
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.TEST_DATABASE_URL) process.stdout.write('\n[tests] TEST_DATABASE_URL unset: PostgreSQL suites are skipped\n');
  if (!process.env.TEST_REDIS_URL) process.stdout.write('[tests] TEST_REDIS_URL unset: Redis suites are skipped\n');
  if (process.env.TEST_DATABASE_URL) {
    await dropStaleTestDatabases();
    process.env[TEMPLATE_DATABASE_ENV] = await createTemplateDatabase();
  }
}
