import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The refresh-token family id gets a column of its own (it was kept in `description`), indexed:
 * revoking a family (RFC 9700 §4.14.2) finds its members and its revocation marker by it.
 * Existing refresh tokens keep their family: the id moves from `description` to `family_id`.
 */
export class AddPersistedGrantFamilyId1795420000300 implements MigrationInterface {
  readonly name = 'AddPersistedGrantFamilyId1795420000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('persisted_grants', new TableColumn({ name: 'family_id', type: 'varchar', length: '100', isNullable: true }));
    // Both engines evaluate every right-hand side on the old row, so the swap is one statement.
    await queryRunner.query("UPDATE persisted_grants SET family_id = description, description = NULL WHERE type = 'refresh_token'");
    await queryRunner.createIndex('persisted_grants', new TableIndex({ name: 'ix_persisted_grants_family_id', columnNames: ['family_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('persisted_grants', 'ix_persisted_grants_family_id');
    // The old schema has no revocation markers: what they still protect against is deleted instead.
    await queryRunner.query("DELETE FROM persisted_grants WHERE type = 'refresh_token' AND family_id IN"
      + " (SELECT family_id FROM persisted_grants WHERE type = 'refresh_token_family_revocation')");
    await queryRunner.query("DELETE FROM persisted_grants WHERE type = 'refresh_token_family_revocation'");
    await queryRunner.query("UPDATE persisted_grants SET description = family_id WHERE type = 'refresh_token'");
    await queryRunner.dropColumn('persisted_grants', 'family_id');
  }
}
