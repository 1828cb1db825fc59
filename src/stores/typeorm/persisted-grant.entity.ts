import { EntitySchema } from 'typeorm';

/** Row of `persisted_grants` (schema in migrations/). Never leaves the TypeORM stores. */
export interface PersistedGrantRow {
  key: string;
  type: string;
  subjectId: string | null;
  sessionId: string | null;
  clientId: string;
  description: string | null;
  familyId: string | null;
  creationTime: Date;
  expiration: Date | null;
  consumedTime: Date | null;
  data: string;
}

// `type: Date` lets each driver pick its mapping (timestamptz on PostgreSQL, datetime on SQLite).
export const PersistedGrantEntity = new EntitySchema<PersistedGrantRow>({
  name: 'PersistedGrant',
  tableName: 'persisted_grants',
  columns: {
    key: { name: 'key', type: 'varchar', length: 200, primary: true },
    type: { name: 'type', type: 'varchar', length: 50 },
    subjectId: { name: 'subject_id', type: 'varchar', length: 200, nullable: true },
    sessionId: { name: 'session_id', type: 'varchar', length: 100, nullable: true },
    clientId: { name: 'client_id', type: 'varchar', length: 200 },
    description: { name: 'description', type: 'varchar', length: 200, nullable: true },
    familyId: { name: 'family_id', type: 'varchar', length: 100, nullable: true },
    creationTime: { name: 'creation_time', type: Date },
    expiration: { name: 'expiration', type: Date, nullable: true },
    consumedTime: { name: 'consumed_time', type: Date, nullable: true },
    data: { name: 'data', type: 'text' },
  },
});
