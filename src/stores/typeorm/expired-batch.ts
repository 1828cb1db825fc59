import type { ObjectLiteral, Repository } from 'typeorm';

/**
 * Deletes at most `batchSize` rows whose `expirationColumn` is before `now`, through a bounded
 * sub-select of keys: each call is one short statement, so cleanup never holds long locks. On
 * PostgreSQL the sub-select takes its rows `FOR UPDATE SKIP LOCKED`, so instances cleaning up
 * at the same moment each take different rows instead of waiting for, and redoing, each other's.
 */
export async function deleteExpiredBatch<T extends ObjectLiteral>(
  repository: Repository<T>,
  columns: { readonly key: string; readonly expiration: string },
  now: Date,
  batchSize: number,
): Promise<number> {
  const limit = Math.floor(batchSize);
  if (!(limit > 0)) return 0;
  const { driver } = repository.manager.connection;
  const table = driver.escape(repository.metadata.tableName);
  const key = driver.escape(columns.key);
  const expiration = driver.escape(columns.expiration);
  const skipLocked = driver.options.type === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const result = await repository.createQueryBuilder()
    .delete()
    .where(`${key} IN (SELECT ${key} FROM ${table} WHERE ${expiration} < :now ORDER BY ${expiration} LIMIT :limit${skipLocked})`,
      { now, limit })
    .execute();
  return result.affected ?? 0;
}
