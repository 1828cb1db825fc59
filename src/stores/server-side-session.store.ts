import type { ServerSideSession } from './models';

export abstract class ServerSideSessionStore {
  abstract create(session: ServerSideSession): Promise<void>;
  abstract get(key: string): Promise<ServerSideSession | undefined>;
  abstract update(session: ServerSideSession): Promise<void>;
  abstract delete(key: string): Promise<void>;
  abstract deleteBySubjectOrSession(filter: { subjectId?: string; sessionId?: string }): Promise<void>;
  abstract removeExpired(now: Date, batchSize: number): Promise<number>;
}
