import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type FindOptionsWhere, type Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { PersistedGrant, PersistedGrantFilter } from '../models';
import { PersistedGrantStore } from '../persisted-grant.store';
import { deleteExpiredBatch } from './expired-batch';
import { PersistedGrantEntity, type PersistedGrantRow } from './persisted-grant.entity';

function toModel(row: PersistedGrantRow): PersistedGrant {
  return {
    key: row.key,
    type: row.type,
    clientId: row.clientId,
    creationTime: row.creationTime,
    data: row.data,
    ...(row.subjectId !== null && { subjectId: row.subjectId }),
    ...(row.sessionId !== null && { sessionId: row.sessionId }),
    ...(row.description !== null && { description: row.description }),
    ...(row.familyId !== null && { familyId: row.familyId }),
    ...(row.expiration !== null && { expiration: row.expiration }),
    ...(row.consumedTime !== null && { consumedTime: row.consumedTime }),
  };
}

function toRow(grant: PersistedGrant): PersistedGrantRow {
  return {
    key: grant.key,
    type: grant.type,
    subjectId: grant.subjectId ?? null,
    sessionId: grant.sessionId ?? null,
    clientId: grant.clientId,
    description: grant.description ?? null,
    familyId: grant.familyId ?? null,
    creationTime: grant.creationTime,
    expiration: grant.expiration ?? null,
    consumedTime: grant.consumedTime ?? null,
    data: grant.data,
  };
}

/**
 * Like Duende's PersistedGrantFilter.Validate: an empty filter would match every grant, and
 * `removeAll({})` must never wipe the table because a caller forgot a field.
 */
function toWhere(filter: PersistedGrantFilter): FindOptionsWhere<PersistedGrantRow> {
  const where: FindOptionsWhere<PersistedGrantRow> = {
    ...(filter.subjectId !== undefined && { subjectId: filter.subjectId }),
    ...(filter.sessionId !== undefined && { sessionId: filter.sessionId }),
    ...(filter.clientId !== undefined && { clientId: filter.clientId }),
    ...(filter.type !== undefined && { type: filter.type }),
    ...(filter.familyId !== undefined && { familyId: filter.familyId }),
  };
  if (Object.keys(where).length === 0) {
    throw new Error('PersistedGrantFilter needs at least one of subjectId, sessionId, clientId, type or familyId');
  }
  return where;
}

interface HotStatements {
  /** every column, in the order of the statements' columns and parameters */
  readonly columns: readonly ColumnMetadata[];
  readonly upsert: string;
  readonly select: string;
}

/** Persisted grants in the `persisted_grants` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmPersistedGrantStore extends PersistedGrantStore {
  constructor(@InjectRepository(PersistedGrantEntity) private readonly grants: Repository<PersistedGrantRow>) {
    super();
  }

  /** SQL of store() and get(), written once from the entity metadata (see hotStatements). */
  private statements?: HotStatements;

  async store(grant: PersistedGrant): Promise<void> {
    // Same single statement as `upsert(row, { conflictPaths: ['key'] })`, without rebuilding it.
    const { upsert, columns } = this.hotStatements();
    const { driver } = this.grants.manager.connection;
    const row = toRow(grant);
    await this.grants.query(upsert, columns.map((column) => driver.preparePersistentValue(column.getEntityValue(row), column)));
  }

  async get(key: string): Promise<PersistedGrant | undefined> {
    // Same query and value mapping as `findOneBy({ key })`, without rebuilding it.
    const { select, columns } = this.hotStatements();
    const { driver } = this.grants.manager.connection;
    const [raw] = await this.grants.query(select, [key]) as Record<string, unknown>[];
    if (!raw) return undefined;
    const row: Record<string, unknown> = {};
    for (const column of columns) row[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    return toModel(row as unknown as PersistedGrantRow);
  }

  async getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]> {
    const rows = await this.grants.find({ where: toWhere(filter), order: { creationTime: 'ASC', key: 'ASC' } });
    return rows.map(toModel);
  }

  async remove(key: string): Promise<void> {
    await this.grants.delete({ key });
  }

  async removeAll(filter: PersistedGrantFilter): Promise<void> {
    await this.grants.delete(toWhere(filter));
  }

  async consume(key: string, when: Date, data?: string): Promise<boolean> {
    // One conditional UPDATE: the database decides the single winner, whatever the concurrency.
    const result = await this.grants.createQueryBuilder()
      .update()
      .set({ consumedTime: when, ...(data !== undefined && { data }) })
      .where({ key, consumedTime: IsNull() })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  /**
   * store() and get() run on every reference token, code and refresh token; TypeORM's query
   * builders spend more CPU composing these two statements than the database spends running
   * them, so they are written once, in the dialect-neutral form TypeORM itself generates
   * (`INSERT … ON CONFLICT … DO UPDATE` works on SQLite and PostgreSQL alike). Values still go
   * through the driver's own persistent/hydrated mapping, exactly as the builders do.
   */
  private hotStatements(): HotStatements {
    if (this.statements) return this.statements;
    const { metadata, manager } = this.grants;
    const { driver } = manager.connection;
    const columns = metadata.columns;
    const table = metadata.tablePath.split('.').map((part) => driver.escape(part)).join('.');
    const names = columns.map((column) => driver.escape(column.databaseName));
    const primary = metadata.primaryColumns.map((column) => driver.escape(column.databaseName));
    this.statements = {
      columns,
      upsert: `INSERT INTO ${table} (${names.join(', ')}) VALUES (${columns.map((column, i) => driver.createParameter(column.propertyName, i)).join(', ')})`
        + ` ON CONFLICT (${primary.join(', ')}) DO UPDATE SET ${names.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}`,
      select: `SELECT ${names.join(', ')} FROM ${table} WHERE ${primary[0]} = ${driver.createParameter('key', 0)} LIMIT 1`,
    };
    return this.statements;
  }

  removeExpired(now: Date, batchSize: number): Promise<number> {
    // Consumed grants stay until they expire: reuse detection of codes and one-time refresh
    // tokens (RFC 9700 §4.14) depends on still finding them.
    return deleteExpiredBatch(this.grants, { key: 'key', expiration: 'expiration' }, now, batchSize);
  }
}
