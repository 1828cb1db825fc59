import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * The version of the database configuration store (docs/deployment.md, "Configuration in the
 * database"): one row (id 1) whose `version` every change through the admin API, the CLI or
 * seeding raises by one. Each server reads it every 2 s and re-reads the configuration tables
 * when it moved, so a change reaches every instance sharing the database within seconds, with or
 * without Redis. Nothing secret: a counter and the time of the last change.
 */
export class CreateConfigurationVersion1795420000900 implements MigrationInterface {
  readonly name = 'CreateConfigurationVersion1795420000900';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'configuration_version',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true },
        { name: 'version', type: 'integer' },
        { name: 'changed_at', type: timestampType(queryRunner), isNullable: true },
      ],
    }));
    // Version 0 until the first change: a database migrated before any server ran it.
    await queryRunner.query('INSERT INTO configuration_version (id, version, changed_at) VALUES (1, 0, NULL)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('configuration_version');
  }
}
