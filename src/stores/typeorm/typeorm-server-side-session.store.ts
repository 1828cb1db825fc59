import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { FindOptionsWhere, Repository } from 'typeorm';
import type { ServerSideSession } from '../models';
import { ServerSideSessionStore } from '../server-side-session.store';
import { deleteExpiredBatch } from './expired-batch';
import { ServerSideSessionEntity, type ServerSideSessionRow } from './server-side-session.entity';

type SessionFilter = { subjectId?: string; sessionId?: string };

function toModel(row: ServerSideSessionRow): ServerSideSession {
  return {
    key: row.key,
    scheme: row.scheme,
    subjectId: row.subjectId,
    sessionId: row.sessionId,
    created: row.created,
    renewed: row.renewed,
    data: row.data,
    ...(row.expires !== null && { expires: row.expires }),
  };
}

function toRow(session: ServerSideSession): ServerSideSessionRow {
  return {
    key: session.key,
    scheme: session.scheme,
    subjectId: session.subjectId,
    sessionId: session.sessionId,
    created: session.created,
    renewed: session.renewed,
    expires: session.expires ?? null,
    data: session.data,
  };
}

/** Both criteria apply when both are given (Duende's SessionFilter); at least one is required. */
function toWhere(filter: SessionFilter): FindOptionsWhere<ServerSideSessionRow> {
  if (filter.subjectId === undefined && filter.sessionId === undefined) {
    throw new Error('Session filter needs subjectId or sessionId');
  }
  return {
    ...(filter.subjectId !== undefined && { subjectId: filter.subjectId }),
    ...(filter.sessionId !== undefined && { sessionId: filter.sessionId }),
  };
}

/** Server-side authentication sessions in the `server_side_sessions` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmServerSideSessionStore extends ServerSideSessionStore {
  constructor(@InjectRepository(ServerSideSessionEntity) private readonly sessions: Repository<ServerSideSessionRow>) {
    super();
  }

  async create(session: ServerSideSession): Promise<void> {
    await this.sessions.insert(toRow(session));
  }

  async get(key: string): Promise<ServerSideSession | undefined> {
    const row = await this.sessions.findOneBy({ key });
    return row ? toModel(row) : undefined;
  }

  async update(session: ServerSideSession): Promise<void> {
    // A session removed meanwhile (logout elsewhere, cleanup) stays removed: no upsert.
    const { key, ...changes } = toRow(session);
    await this.sessions.update({ key }, changes);
  }

  async delete(key: string): Promise<void> {
    await this.sessions.delete({ key });
  }

  async deleteBySubjectOrSession(filter: SessionFilter): Promise<void> {
    await this.sessions.delete(toWhere(filter));
  }

  removeExpired(now: Date, batchSize: number): Promise<number> {
    return deleteExpiredBatch(this.sessions, { key: 'key', expiration: 'expires' }, now, batchSize);
  }
}
