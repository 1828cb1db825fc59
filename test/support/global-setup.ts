/** Runs once before all suites. Database template preparation is added by the stores work. */
export default async function globalSetup(): Promise<void> {
  if (!process.env.TEST_DATABASE_URL) process.stdout.write('\n[tests] TEST_DATABASE_URL unset: PostgreSQL suites are skipped\n');
  if (!process.env.TEST_REDIS_URL) process.stdout.write('[tests] TEST_REDIS_URL unset: Redis suites are skipped\n');
}
