import { DataSource } from 'typeorm';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';
import { OPERATIONAL_STORE_ENTITIES } from '../../src/stores/typeorm';
import { CONFIGURATION_STORE_ENTITIES } from '../../src/stores/typeorm-config';
import { createTestDatabase } from './postgres';

export interface OpenedDatabase {
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

export interface StoreDatabase {
  readonly name: string;
  /** why the database is unavailable here, or undefined when tests run against it */
  readonly skipReason?: string;
  open(): Promise<OpenedDatabase>;
}

/** Every database engine the stores support (STYLE habit 9: contract suites run on each). */
export const STORE_DATABASES: readonly StoreDatabase[] = [
  {
    name: 'SQLite (memory)',
    async open() {
      const dataSource = await new DataSource({
        ...dataSourceOptionsFor('sqlite::memory:'), entities: [...OPERATIONAL_STORE_ENTITIES, ...CONFIGURATION_STORE_ENTITIES],
      }).initialize();
      await runPendingMigrations(dataSource);
      return { dataSource, close: () => dataSource.destroy() };
    },
  },
  {
    name: 'PostgreSQL',
    skipReason: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset',
    async open() {
      const database = await createTestDatabase();
      const dataSource = await new DataSource({
        ...dataSourceOptionsFor(database.url), entities: [...OPERATIONAL_STORE_ENTITIES, ...CONFIGURATION_STORE_ENTITIES],
      }).initialize();
      return {
        dataSource,
        async close() {
          await dataSource.destroy();
          await database.drop();
        },
      };
    },
  },
];

/**
 * `describe.each` over every store database; unavailable ones show up as skipped with the reason.
 */
export function describeEachStoreDatabase(title: string, body: (database: StoreDatabase) => void): void {
  const available = STORE_DATABASES.filter((d) => d.skipReason === undefined);
  if (available.length > 0) describe.each(available)(`${title} on $name`, body);
  for (const skipped of STORE_DATABASES.filter((d) => d.skipReason !== undefined)) {
    describe.skip(`${title} on ${skipped.name} (skipped: ${skipped.skipReason})`, () => body(skipped));
  }
}
