import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/** Server-side authentication sessions: survive restarts, shared by instances, ended server-side. */
export class CreateServerSideSessions1795420000002 implements MigrationInterface {
  readonly name = 'CreateServerSideSessions1795420000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'server_side_sessions',
      columns: [
        { name: 'key', type: 'varchar', length: '200', isPrimary: true },
        { name: 'scheme', type: 'varchar', length: '200' },
        { name: 'subject_id', type: 'varchar', length: '200' },
        { name: 'session_id', type: 'varchar', length: '100' },
        { name: 'display_name', type: 'varchar', length: '200', isNullable: true },
        { name: 'created', type: timestamp },
        { name: 'renewed', type: timestamp },
        { name: 'expires', type: timestamp, isNullable: true },
        { name: 'data', type: 'text' },
      ],
      indices: [
        { name: 'ix_server_side_sessions_subject_id', columnNames: ['subject_id'] },
        { name: 'ix_server_side_sessions_session_id', columnNames: ['session_id'] },
        { name: 'ix_server_side_sessions_expires', columnNames: ['expires'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('server_side_sessions');
  }
}
