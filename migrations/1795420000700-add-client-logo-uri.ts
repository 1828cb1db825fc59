import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A client's `logoUri` (docs/configuration-file.md), shown on the login, consent and device
 * pages. Nullable: existing clients simply have no logo.
 */
export class AddClientLogoUri1795420000700 implements MigrationInterface {
  readonly name = 'AddClientLogoUri1795420000700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('configuration_clients', new TableColumn({ name: 'logo_uri', type: 'varchar', length: '2000', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('configuration_clients', 'logo_uri');
  }
}
