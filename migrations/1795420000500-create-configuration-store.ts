import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * The database configuration store (CONFIGURATION_STORE=database, docs/deployment.md,
 * "Configuration in the database"): clients, identity resources, API scopes and API resources.
 * List-valued fields are JSON text (the same on SQLite and PostgreSQL); shared secrets are kept
 * only as their SHA-256, like the file store keeps them.
 */
export class CreateConfigurationStore1795420000500 implements MigrationInterface {
  readonly name = 'CreateConfigurationStore1795420000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = (name: string): TableColumnOptions => ({ name, type: 'text' });
    const flag = (name: string): TableColumnOptions => ({ name, type: 'boolean' });
    const int = (name: string): TableColumnOptions => ({ name, type: 'integer' });
    const name = (column: string): TableColumnOptions => ({ name: column, type: 'varchar', length: '200', isPrimary: true });
    const displayName: TableColumnOptions = { name: 'display_name', type: 'varchar', length: '200', isNullable: true };

    await queryRunner.createTable(new Table({
      name: 'configuration_clients',
      columns: [
        name('client_id'),
        int('position'),
        { name: 'client_name', type: 'varchar', length: '200', isNullable: true },
        flag('enabled'),
        text('client_secrets'),
        flag('require_client_secret'),
        text('allowed_grant_types'),
        text('allowed_scopes'),
        text('redirect_uris'),
        text('post_logout_redirect_uris'),
        { name: 'back_channel_logout_uri', type: 'varchar', length: '2000', isNullable: true },
        flag('require_pkce'),
        flag('require_consent'),
        flag('allow_offline_access'),
        { name: 'access_token_type', type: 'varchar', length: '20' },
        int('access_token_lifetime'),
        int('identity_token_lifetime'),
        int('authorization_code_lifetime'),
        int('device_code_lifetime'),
        { name: 'refresh_token_usage', type: 'varchar', length: '20' },
        { name: 'refresh_token_expiration', type: 'varchar', length: '20' },
        int('absolute_refresh_token_lifetime'),
        int('sliding_refresh_token_lifetime'),
        text('allowed_token_signing_algorithms'),
        flag('always_include_user_claims_in_id_token'),
        flag('require_pushed_authorization'),
      ],
    }));
    for (const table of ['configuration_identity_resources', 'configuration_api_scopes']) {
      await queryRunner.createTable(new Table({
        name: table,
        columns: [name('name'), int('position'), displayName, text('user_claims')],
      }));
    }
    await queryRunner.createTable(new Table({
      name: 'configuration_api_resources',
      columns: [
        name('name'), int('position'), displayName,
        text('scopes'), text('api_secrets'), text('allowed_access_token_signing_algorithms'),
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['configuration_api_resources', 'configuration_api_scopes', 'configuration_identity_resources', 'configuration_clients']) {
      await queryRunner.dropTable(table);
    }
  }
}
