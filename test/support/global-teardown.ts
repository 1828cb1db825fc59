import { dropDatabase, TEMPLATE_DATABASE_ENV } from './postgres';

/** Runs once after all suites: drops the run's PostgreSQL template database. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (process.env.TEST_DATABASE_URL && template) {
    await dropDatabase(template);
    delete process.env[TEMPLATE_DATABASE_ENV];
  }
}
