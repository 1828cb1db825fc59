import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * Automatically managed signing keys (Duende's Keys table). `data` holds the private key,
 * protected by data protection unless KEY_MANAGEMENT_DATA_PROTECT_KEYS=false.
 */
export class CreateSigningKeys1795420000100 implements MigrationInterface {
  readonly name = 'CreateSigningKeys1795420000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'signing_keys',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'version', type: 'integer' },
        { name: 'created', type: timestampType(queryRunner) },
        { name: 'algorithm', type: 'varchar', length: '20' },
        { name: 'is_x509_certificate', type: 'boolean' },
        { name: 'data_protected', type: 'boolean' },
        { name: 'data', type: 'text' },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('signing_keys');
  }
}
