import { EntitySchema } from 'typeorm';

/** Row of `server_side_sessions` (schema in migrations/). Never leaves the TypeORM stores. */
export interface ServerSideSessionRow {
  key: string;
  scheme: string;
  subjectId: string;
  sessionId: string;
  created: Date;
  renewed: Date;
  expires: Date | null;
  data: string;
}

export const ServerSideSessionEntity = new EntitySchema<ServerSideSessionRow>({
  name: 'ServerSideSession',
  tableName: 'server_side_sessions',
  columns: {
    key: { name: 'key', type: 'varchar', length: 200, primary: true },
    scheme: { name: 'scheme', type: 'varchar', length: 200 },
    subjectId: { name: 'subject_id', type: 'varchar', length: 200 },
    sessionId: { name: 'session_id', type: 'varchar', length: 100 },
    created: { name: 'created', type: Date },
    renewed: { name: 'renewed', type: Date },
    expires: { name: 'expires', type: Date, nullable: true },
    data: { name: 'data', type: 'text' },
  },
});
