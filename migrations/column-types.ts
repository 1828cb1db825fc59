import type { QueryRunner } from 'typeorm';

/**
 * Column types that differ between the two supported engines. Timestamps carry their time zone
 * on PostgreSQL; SQLite stores TypeORM's UTC `datetime` text, which sorts chronologically.
 */
export function timestampType(queryRunner: QueryRunner): string {
  return queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
}
