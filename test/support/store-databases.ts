import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Clock } from '../../src/common/clock';
import type { DeviceFlowStore } from '../../src/stores/device-flow.store';
import type { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import {
  RedisDeviceFlowStore, RedisOperationalConnection, RedisPersistedGrantStore, RedisServerSideSessionStore,
} from '../../src/stores/redis';
import type { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';
import {
  DeviceCodeEntity, OPERATIONAL_STORE_ENTITIES, PersistedGrantEntity, ServerSideSessionEntity,
  TypeOrmDeviceFlowStore, TypeOrmPersistedGrantStore, TypeOrmServerSideSessionStore, UserLinkEntity,
} from '../../src/stores/typeorm';
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
        ...dataSourceOptionsFor('sqlite::memory:'), entities: [...OPERATIONAL_STORE_ENTITIES, ...CONFIGURATION_STORE_ENTITIES, UserLinkEntity],
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
        ...dataSourceOptionsFor(database.url), entities: [...OPERATIONAL_STORE_ENTITIES, ...CONFIGURATION_STORE_ENTITIES, UserLinkEntity],
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

/** The operational stores of one backend, opened for a contract suite. */
export interface OpenedOperationalStores {
  readonly kind: 'database' | 'redis';
  readonly persistedGrants: PersistedGrantStore;
  readonly deviceFlow: DeviceFlowStore;
  readonly sessions: ServerSideSessionStore;
  /** the database's DataSource (kind `database`) */
  readonly dataSource?: DataSource;
  /** the Redis connection, whose keys all start with its unique prefix (kind `redis`) */
  readonly redis?: RedisOperationalConnection;
  /** how many items of a kind are stored */
  count(items: 'grants' | 'deviceCodes' | 'sessions'): Promise<number>;
  /** removes every item of every kind */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export interface OperationalStoreBackend {
  readonly name: string;
  readonly skipReason?: string;
  /** `clock` is what the Redis stores measure time to live against (the databases keep absolute dates) */
  open(clock: Clock): Promise<OpenedOperationalStores>;
}

const REDIS_ITEM_PATTERNS = { grants: 'grant:*', deviceCodes: 'device:*', sessions: 'session:*' } as const;

/** Every backend of the operational stores: each store database, and Redis (OPERATIONAL_STORE=redis). */
export const OPERATIONAL_STORE_BACKENDS: readonly OperationalStoreBackend[] = [
  ...STORE_DATABASES.map((database): OperationalStoreBackend => ({
    name: database.name,
    skipReason: database.skipReason,
    async open() {
      const opened = await database.open();
      const { dataSource } = opened;
      const entities = { grants: PersistedGrantEntity, deviceCodes: DeviceCodeEntity, sessions: ServerSideSessionEntity };
      return {
        kind: 'database',
        dataSource,
        persistedGrants: new TypeOrmPersistedGrantStore(dataSource.getRepository(PersistedGrantEntity)),
        deviceFlow: new TypeOrmDeviceFlowStore(dataSource.getRepository(DeviceCodeEntity)),
        sessions: new TypeOrmServerSideSessionStore(dataSource.getRepository(ServerSideSessionEntity)),
        count: (items) => dataSource.getRepository(entities[items]).count(),
        async clear() {
          for (const entity of Object.values(entities)) await dataSource.getRepository(entity).clear();
        },
        close: () => opened.close(),
      };
    },
  })),
  {
    name: 'Redis',
    skipReason: process.env.TEST_REDIS_URL ? undefined : 'TEST_REDIS_URL unset',
    async open(clock) {
      // A prefix of its own: suites running at once on one Redis never see each other's keys.
      const connection = await RedisOperationalConnection.connect(process.env.TEST_REDIS_URL ?? '', `test-${randomUUID()}`);
      const keys = (pattern: string) => connection.redis.keys(`${connection.prefix}${pattern}`);
      const clear = async () => {
        const all = await keys('*');
        if (all.length > 0) await connection.redis.del(...all);
      };
      return {
        kind: 'redis',
        redis: connection,
        persistedGrants: new RedisPersistedGrantStore(connection, clock),
        deviceFlow: new RedisDeviceFlowStore(connection, clock),
        sessions: new RedisServerSideSessionStore(connection, clock),
        count: async (items) => (await keys(REDIS_ITEM_PATTERNS[items])).length,
        clear,
        async close() {
          await clear();
          await connection.onModuleDestroy();
        },
      };
    },
  },
];

/**
 * `describe.each` over every backend of the operational stores (STORE_DATABASES and Redis);
 * unavailable ones show up as skipped with the reason.
 */
export function describeEachOperationalStore(title: string, body: (backend: OperationalStoreBackend) => void): void {
  const available = OPERATIONAL_STORE_BACKENDS.filter((b) => b.skipReason === undefined);
  if (available.length > 0) describe.each(available)(`${title} on $name`, body);
  for (const skipped of OPERATIONAL_STORE_BACKENDS.filter((b) => b.skipReason !== undefined)) {
    describe.skip(`${title} on ${skipped.name} (skipped: ${skipped.skipReason})`, () => body(skipped));
  }
}
