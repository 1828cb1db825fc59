import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';
import { FileSigningKeyStore } from '../../src/key-management/file-signing-key.store';
import { KeyManager } from '../../src/key-management/key-manager.service';
import { SigningKeyEntity } from '../../src/key-management/signing-key.entity';
import {
  DAY, FakeClock, FakeDataProtectionProvider, keyConfig,
} from '../support/fakes/key-management.fakes';
import { TypeOrmSigningKeyStore } from '../../src/key-management/typeorm-signing-key.store';
import type { SerializedSigningKey } from '../../src/stores/models';
import type { SigningKeyStore } from '../../src/stores/signing-key.store';
import { createTestDatabase } from '../support/postgres';

/**
 * One contract suite for SigningKeyStore over every implementation (STYLE habit 9). `open(n)`
 * gives n stores that share one backing store as n instances would (PostgreSQL: n DataSources,
 * i.e. separate connection pools).
 */
interface Backend {
  readonly name: string;
  readonly skip?: string;
  open(instances: number): Promise<{ stores: SigningKeyStore[]; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'file',
    async open(instances) {
      const dir = mkdtempSync(join(tmpdir(), 'km-contract-'));
      return {
        stores: Array.from({ length: instances }, () => new FileSigningKeyStore(dir)),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'TypeORM on SQLite',
    async open(instances) {
      const dataSource = await new DataSource({ ...dataSourceOptionsFor('sqlite::memory:'), entities: [SigningKeyEntity] }).initialize();
      await runPendingMigrations(dataSource);
      return {
        stores: Array.from({ length: instances }, () => new TypeOrmSigningKeyStore(dataSource)),
        close: () => dataSource.destroy(),
      };
    },
  },
  {
    name: 'TypeORM on PostgreSQL',
    skip: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset',
    async open(instances) {
      const database = await createTestDatabase();
      const sources = await Promise.all(Array.from({ length: instances }, () =>
        new DataSource({ ...dataSourceOptionsFor(database.url), entities: [SigningKeyEntity] }).initialize()));
      return {
        stores: sources.map((s) => new TypeOrmSigningKeyStore(s)),
        async close() {
          await Promise.all(sources.map((s) => s.destroy()));
          await database.drop();
        },
      };
    },
  },
];

const sample = (id: string, created: Date): SerializedSigningKey => ({
  id, version: 1, created, algorithm: 'ES256', isX509Certificate: true, dataProtected: false, data: `{"kid":"${id}"}`,
});

for (const backend of backends) {
  const suite = backend.skip ? describe.skip : describe;
  suite(`SigningKeyStore contract: ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    beforeAll(() => Logger.overrideLogger(false));

    it('storeKey/loadKeys/deleteKey should round-trip every field', async () => {
      const { stores: [store], close } = await backend.open(1);
      try {
        const created = new Date('2030-05-06T07:08:09.123Z');
        await store.storeKey(sample('AAAAAAAAAAAAAAAA', created));
        await store.storeKey({ ...sample('BBBBBBBBBBBBBBBB', new Date(created.getTime() + 1000)), isX509Certificate: false, dataProtected: true });
        const loaded = await store.loadKeys();
        expect(loaded).toEqual([
          sample('AAAAAAAAAAAAAAAA', created),
          { ...sample('BBBBBBBBBBBBBBBB', new Date(created.getTime() + 1000)), isX509Certificate: false, dataProtected: true },
        ]);
        await store.deleteKey('AAAAAAAAAAAAAAAA');
        expect((await store.loadKeys()).map((k) => k.id)).toEqual(['BBBBBBBBBBBBBBBB']);
      } finally {
        await close();
      }
    });

    it('withExclusiveLock should never let two instances inside at once', async () => {
      const { stores, close } = await backend.open(3);
      try {
        let inside = 0;
        let max = 0;
        await Promise.all(stores.flatMap((store) => [1, 2].map(() => store.withExclusiveLock(async () => {
          inside++;
          max = Math.max(max, inside);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
        }))));
        expect(max).toBe(1);
      } finally {
        await close();
      }
    });

    it('KeyManagers of several instances started at once should create exactly one key per algorithm, and one successor per rotation', async () => {
      const { stores, close } = await backend.open(4);
      try {
        const clock = new FakeClock();
        const config = keyConfig({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256' });
        const protection = new FakeDataProtectionProvider();
        const managers = stores.map((store) => new KeyManager(store, clock, config, protection));
        await Promise.all(managers.map((m) => m.onModuleInit()));
        const keys = await stores[0].loadKeys();
        expect(keys.map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256']);
        const fingerprints = await Promise.all(managers.map(async (m) => (await m.getKeySet()).fingerprint));
        expect(new Set(fingerprints).size).toBe(1);

        clock.advance(76 * DAY);
        await Promise.all(managers.map((m) => m.ensureKeys()));
        expect((await stores[0].loadKeys()).map((k) => k.algorithm).sort()).toEqual(['ES256', 'ES256', 'RS256', 'RS256']);
      } finally {
        await close();
      }
    });
  });
}
