import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * The instance registry (docs/deployment.md, "Checking a deployment"): one row per running
 * server, refreshed by its heartbeat and removed on graceful shutdown or when it stops beating.
 * It lets `doctor` and the `deployment` health indicator see the whole fleet. Nothing secret:
 * the key-ring id is a fingerprint of key ids, never key material.
 */
export class CreateInstances1795420000400 implements MigrationInterface {
  readonly name = 'CreateInstances1795420000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = timestampType(queryRunner);
    await queryRunner.createTable(new Table({
      name: 'instances',
      columns: [
        { name: 'id', type: 'varchar', length: '36', isPrimary: true },
        { name: 'host', type: 'varchar', length: '255' },
        { name: 'version', type: 'varchar', length: '50' },
        { name: 'application_name', type: 'varchar', length: '200' },
        { name: 'key_ring_id', type: 'varchar', length: '32' },
        { name: 'cache_kind', type: 'varchar', length: '20' },
        { name: 'started_at', type: timestamp },
        { name: 'last_seen_at', type: timestamp },
        { name: 'untrusted_forwarded_headers', type: 'integer', default: 0 },
        { name: 'last_untrusted_peer', type: 'varchar', length: '100', isNullable: true },
      ],
      indices: [
        { name: 'ix_instances_last_seen_at', columnNames: ['last_seen_at'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('instances');
  }
}
