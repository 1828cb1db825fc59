import type { DataSource } from 'typeorm';

/**
 * Runs `work` holding a PostgreSQL session advisory lock. A session lock must be taken and
 * released on one connection, so a dedicated query runner holds it for the whole of `work`.
 * `lockKey` is the SQL of the bigint key over `$1` (e.g. `$1::bigint`, `hashtext($1)`).
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource, lockKey: string, parameter: string, work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(${lockKey})`, [parameter]);
    try {
      return await work();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(${lockKey})`, [parameter]);
    }
  } finally {
    await runner.release();
  }
}
