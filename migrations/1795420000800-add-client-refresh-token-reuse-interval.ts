import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The client setting `refreshTokenReuseInterval` (docs/configuration-file.md) in the database
 * configuration store; existing clients get 0, the default (a rotated token presented again
 * always revokes its family).
 */
export class AddClientRefreshTokenReuseInterval1795420000800 implements MigrationInterface {
  readonly name = 'AddClientRefreshTokenReuseInterval1795420000800';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('configuration_clients', new TableColumn({
      name: 'refresh_token_reuse_interval', type: 'integer', isNullable: false, default: 0,
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('configuration_clients', 'refresh_token_reuse_interval');
  }
}
