import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * The data-protection key ring (ASP.NET Core's DataProtectionKeys table), one ring per
 * DATA_PROTECTION_APPLICATION_NAME. `key_material` is a JWE wrapped by the master key or a
 * certificate (or the bare secret when neither is configured, with a start-up warning).
 */
export class CreateDataProtectionKeys1795420000200 implements MigrationInterface {
  readonly name = 'CreateDataProtectionKeys1795420000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'data_protection_keys',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'application_name', type: 'varchar', length: '200' },
        { name: 'creation_date', type: timestamp },
        { name: 'activation_date', type: timestamp },
        { name: 'expiration_date', type: timestamp },
        { name: 'revoked', type: 'boolean', default: false },
        { name: 'encryption', type: 'varchar', length: '20' },
        { name: 'key_material', type: 'text' },
      ],
      indices: [
        { name: 'ix_data_protection_keys_application_name', columnNames: ['application_name'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('data_protection_keys');
  }
}
