import { EntitySchema } from 'typeorm';

/** Row of `device_codes` (schema in migrations/). Never leaves the TypeORM stores. */
export interface DeviceCodeRow {
  deviceCodeHash: string;
  userCode: string;
  clientId: string;
  subjectId: string | null;
  sessionId: string | null;
  creationTime: Date;
  expiration: Date;
  data: string;
}

export const DeviceCodeEntity = new EntitySchema<DeviceCodeRow>({
  name: 'DeviceCode',
  tableName: 'device_codes',
  columns: {
    deviceCodeHash: { name: 'device_code_hash', type: 'varchar', length: 200, primary: true },
    userCode: { name: 'user_code', type: 'varchar', length: 200 },
    clientId: { name: 'client_id', type: 'varchar', length: 200 },
    subjectId: { name: 'subject_id', type: 'varchar', length: 200, nullable: true },
    sessionId: { name: 'session_id', type: 'varchar', length: 100, nullable: true },
    creationTime: { name: 'creation_time', type: Date },
    expiration: { name: 'expiration', type: Date },
    data: { name: 'data', type: 'text' },
  },
});
