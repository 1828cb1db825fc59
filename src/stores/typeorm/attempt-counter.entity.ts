import { EntitySchema } from 'typeorm';

/** Row of `attempt_counters` (schema in migrations/). Never leaves the TypeORM stores. */
export interface AttemptCounterRow {
  /** `attempts:<limit>:<SHA-256 of the counted value>`: no user name or address in clear */
  key: string;
  count: number;
  /** the end of the counter's window */
  expiresAt: Date;
}

export const AttemptCounterEntity = new EntitySchema<AttemptCounterRow>({
  name: 'AttemptCounter',
  tableName: 'attempt_counters',
  columns: {
    key: { name: 'counter_key', type: 'varchar', length: 200, primary: true },
    count: { name: 'count', type: 'integer' },
    expiresAt: { name: 'expires_at', type: Date },
  },
  indices: [{ name: 'IX_attempt_counters_expires_at', columns: ['expiresAt'] }],
});
