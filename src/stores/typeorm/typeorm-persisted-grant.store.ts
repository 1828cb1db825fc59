import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type FindOptionsWhere, type Repository } from 'typeorm';
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
  };
  if (Object.keys(where).length === 0) {
    throw new Error('PersistedGrantFilter needs at least one of subjectId, sessionId, clientId or type');
  }
  return where;
}

/** Persisted grants in the `persisted_grants` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmPersistedGrantStore extends PersistedGrantStore {
  constructor(@InjectRepository(PersistedGrantEntity) private readonly grants: Repository<PersistedGrantRow>) {
    super();
  }

  async store(grant: PersistedGrant): Promise<void> {
    await this.grants.upsert(toRow(grant), { conflictPaths: ['key'] });
  }

  async get(key: string): Promise<PersistedGrant | undefined> {
    const row = await this.grants.findOneBy({ key });
    return row ? toModel(row) : undefined;
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

  async consume(key: string, when: Date): Promise<boolean> {
    // One conditional UPDATE: the database decides the single winner, whatever the concurrency.
    const result = await this.grants.createQueryBuilder()
      .update()
      .set({ consumedTime: when })
      .where({ key, consumedTime: IsNull() })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  removeExpired(now: Date, batchSize: number): Promise<number> {
    // Consumed grants stay until they expire: reuse detection of codes and one-time refresh
    // tokens (RFC 9700 §4.14) depends on still finding them.
    return deleteExpiredBatch(this.grants, { key: 'key', expiration: 'expiration' }, now, batchSize);
  }
}
