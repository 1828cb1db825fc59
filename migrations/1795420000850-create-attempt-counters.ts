import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';
import { timestampType } from './column-types';

/**
 * The attempt counters of login throttling and the user-code limit (docs/settings.md, "Login
 * throttling") when REDIS_URL is not set: one row per counted value and limit, its key a SHA-256
 * hash (no user name or address in clear), counted by one upsert so that every instance sharing
 * the database shares the count. Token cleanup removes the rows whose window ended.
 */
export class CreateAttemptCounters1795420000850 implements MigrationInterface {
  readonly name = 'CreateAttemptCounters1795420000850';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'attempt_counters',
      columns: [
        { name: 'counter_key', type: 'varchar', length: '200', isPrimary: true },
        { name: 'count', type: 'integer' },
        { name: 'expires_at', type: timestampType(queryRunner) },
      ],
      indices: [
        { name: 'IX_attempt_counters_expires_at', columnNames: ['expires_at'] },
      ],
    }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('attempt_counters');
  }
}
