import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/** RFC 8628 device authorizations, found by device-code hash (polling) or user code (/device). */
export class CreateDeviceCodes1795420000001 implements MigrationInterface {
  readonly name = 'CreateDeviceCodes1795420000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'device_codes',
      columns: [
        { name: 'device_code_hash', type: 'varchar', length: '200', isPrimary: true },
        { name: 'user_code', type: 'varchar', length: '200' },
        { name: 'client_id', type: 'varchar', length: '200' },
        { name: 'subject_id', type: 'varchar', length: '200', isNullable: true },
        { name: 'session_id', type: 'varchar', length: '100', isNullable: true },
        { name: 'creation_time', type: timestamp },
        { name: 'expiration', type: timestamp },
        { name: 'data', type: 'text' },
      ],
      indices: [
        { name: 'ux_device_codes_user_code', columnNames: ['user_code'], isUnique: true },
        { name: 'ix_device_codes_expiration', columnNames: ['expiration'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('device_codes');
  }
}
