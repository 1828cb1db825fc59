import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `server_side_sessions.display_name` held the user's name in clear; only lookup metadata may
 * (docs/deployment.md, "State at rest"). The name already travels inside each row's protected
 * session ticket (`data`), which is where the server reads it from, so existing rows lose nothing
 * when the column goes. Down brings the column back empty.
 */
export class DropSessionDisplayName1795420000801 implements MigrationInterface {
  readonly name = 'DropSessionDisplayName1795420000801';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('server_side_sessions', 'display_name');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('server_side_sessions', new TableColumn({ name: 'display_name', type: 'varchar', length: '200', isNullable: true }));
  }
}
