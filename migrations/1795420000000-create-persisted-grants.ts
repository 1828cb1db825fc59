import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * Authorization codes, refresh and reference tokens, consent (Duende's PersistedGrants).
 * `key` is a hash of the handle, never the handle; `data` is protected by data protection.
 * Indexes serve the lookups token flows make: by key, by subject+client+type (consent,
 * revocation), by session (logout) and by expiration (cleanup).
 */
export class CreatePersistedGrants1795420000000 implements MigrationInterface {
  readonly name = 'CreatePersistedGrants1795420000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'persisted_grants',
      columns: [
        { name: 'key', type: 'varchar', length: '200', isPrimary: true },
        { name: 'type', type: 'varchar', length: '50' },
        { name: 'subject_id', type: 'varchar', length: '200', isNullable: true },
        { name: 'session_id', type: 'varchar', length: '100', isNullable: true },
        { name: 'client_id', type: 'varchar', length: '200' },
        { name: 'description', type: 'varchar', length: '200', isNullable: true },
        { name: 'creation_time', type: timestamp },
        { name: 'expiration', type: timestamp, isNullable: true },
        { name: 'consumed_time', type: timestamp, isNullable: true },
        { name: 'data', type: 'text' },
      ],
      indices: [
        { name: 'ix_persisted_grants_subject_client_type', columnNames: ['subject_id', 'client_id', 'type'] },
        { name: 'ix_persisted_grants_session_id', columnNames: ['session_id'] },
        { name: 'ix_persisted_grants_expiration', columnNames: ['expiration'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('persisted_grants');
  }
}
