import type { DataSource } from 'typeorm';

/** How often a waiting instance tries the lock again. */
const RETRY_MS = 100;

/**
 * Runs `work` holding a PostgreSQL session advisory lock. A session lock must be taken and
 * released on one connection, so a dedicated query runner holds it for the whole of `work`.
 * `lockKey` is the SQL of the bigint key over `$1` (e.g. `$1::bigint`, `hashtext($1)`). The lock
 * is tried (`pg_try_advisory_lock`) until it is free rather than waited for in one statement: the
 * application's statements are bounded (data-source-options.ts), a wait for another instance's
 * work is not.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource, lockKey: string, parameter: string, work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const [row] = (await runner.query(`SELECT pg_try_advisory_lock(${lockKey}) AS locked`, [parameter])) as Array<{ locked: boolean }>;
      if (row?.locked) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    try {
      return await work();
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(${lockKey})`, [parameter]);
    }
  } finally {
    await runner.release();
  }
}
