import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * Federation (docs/configuration-file.md, "External providers"): the database configuration
 * store's `configuration_external_providers` (client secrets only protected by data protection),
 * and `user_links`, which links (scheme, the provider's sub) to a local subject and keeps the
 * claims of auto-provisioned users.
 */
export class CreateUserLinksAndExternalProviders1795420000600 implements MigrationInterface {
  readonly name = 'CreateUserLinksAndExternalProviders1795420000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'configuration_external_providers',
      columns: [
        { name: 'scheme', type: 'varchar', length: '64', isPrimary: true },
        { name: 'position', type: 'integer' },
        { name: 'display_name', type: 'varchar', length: '200' },
        { name: 'enabled', type: 'boolean' },
        { name: 'authority', type: 'varchar', length: '2000' },
        { name: 'client_id', type: 'varchar', length: '200' },
        { name: 'client_secret', type: 'text', isNullable: true },
        { name: 'scopes', type: 'text' },
        { name: 'claim_mappings', type: 'text' },
        { name: 'auto_provision', type: 'boolean' },
      ],
    }));
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'user_links',
      columns: [
        { name: 'scheme', type: 'varchar', length: '64', isPrimary: true },
        { name: 'external_subject', type: 'varchar', length: '255', isPrimary: true },
        { name: 'subject_id', type: 'varchar', length: '200' },
        { name: 'provisioned', type: 'boolean' },
        { name: 'claims', type: 'text' },
        { name: 'created', type: timestamp },
        { name: 'last_sign_in', type: timestamp },
      ],
    }));
    await queryRunner.createIndex('user_links', new TableIndex({ name: 'IX_user_links_subject_id', columnNames: ['subject_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('user_links');
    await queryRunner.dropTable('configuration_external_providers');
  }
}
