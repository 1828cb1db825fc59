import type { Repository } from 'typeorm';
import type { Clock } from '../../common/clock';
import { AttemptCounterStore } from '../attempt-counter.store';
import type { AttemptCounterRow } from './attempt-counter.entity';
import { deleteExpiredBatch } from './expired-batch';

/**
 * A count: ONE upsert that creates the counter, adds to it, or (window ended) starts it again,
 * and returns the new count. PostgreSQL locks the row for the statement and SQLite has a single
 * writer, so parallel counts on any number of instances each see their own value. The SET
 * expressions read the row as it was, so both CASEs test the old window end.
 */
const COUNT = `INSERT INTO attempt_counters (counter_key, count, expires_at) VALUES (:key, :by, :windowEnd)
ON CONFLICT (counter_key) DO UPDATE SET
  count = CASE WHEN attempt_counters.expires_at <= :now THEN :by ELSE attempt_counters.count + :by END,
  expires_at = CASE WHEN attempt_counters.expires_at <= :now THEN :windowEnd ELSE attempt_counters.expires_at END
RETURNING count`;

/** A count given back: never creates a counter, and leaves one whose window ended alone. */
const GIVE_BACK = `UPDATE attempt_counters SET count = count + :by
WHERE counter_key = :key AND expires_at > :now
RETURNING count`;

/**
 * Attempt counters in the `attempt_counters` table (SQLite ≥ 3.35 or PostgreSQL: both have
 * `ON CONFLICT … DO UPDATE` and `RETURNING`), used when REDIS_URL is not set, so that instances
 * sharing one database share one count. Windows are measured with the application clock; a
 * failure to reach the database propagates and answers 503 like any other store's.
 */
export class TypeOrmAttemptCounterStore extends AttemptCounterStore {
  constructor(private readonly counters: Repository<AttemptCounterRow>, private readonly clock: Clock) {
    super();
  }

  async increment(key: string, windowMs: number, by = 1): Promise<number> {
    const now = this.clock.now();
    const windowEnd = new Date(now.getTime() + windowMs);
    const rows = by < 0
      ? await this.run(GIVE_BACK, { key, by, now })
      : await this.run(COUNT, { key, by, now, windowEnd });
    return rows.length > 0 ? Number(rows[0].count) : 0;
  }

  removeExpired(now: Date, batchSize: number): Promise<number> {
    return deleteExpiredBatch(this.counters, { key: 'counter_key', expiration: 'expires_at' }, now, batchSize);
  }

  /**
   * One statement with named parameters: the driver writes its own placeholders and date format.
   * Structured, because PostgreSQL's plain result of an UPDATE is `[rows, rowCount]`.
   */
  private async run(sql: string, parameters: Record<string, unknown>): Promise<Array<{ count: number | string }>> {
    const { connection } = this.counters.manager;
    const [query, values] = connection.driver.escapeQueryWithParameters(sql, parameters, {});
    const runner = connection.createQueryRunner();
    try {
      const result = await runner.query(query, values, true);
      return (result.records ?? []) as Array<{ count: number | string }>;
    } finally {
      await runner.release();
    }
  }
}
