import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { Clock } from '../../src/common/clock';
import { FakeClock } from '../support/fakes/fake-clock';
import { dataSourceOptionsFor } from '../../src/database/data-source-options';
import { runPendingMigrations } from '../../src/database/database.migrator';
import { DataProtectionKeyEntity } from '../../src/data-protection/data-protection-key.entity';
import type { DataProtectionKeyStore } from '../../src/data-protection/data-protection-key.store';
import { UnprotectError } from '../../src/data-protection/data-protector';
import { createEphemeralDataProtection } from '../../src/data-protection/ephemeral-data-protection.provider';
import { FileDataProtectionKeyStore } from '../../src/data-protection/file-data-protection-key.store';
import { KeyMaterialEncryptor } from '../../src/data-protection/key-material.encryptor';
import { RedisDataProtectionKeyStore } from '../../src/data-protection/redis-data-protection-key.store';
import { TypeOrmDataProtectionKeyStore } from '../../src/data-protection/typeorm-data-protection-key.store';
import { createTestDatabase } from '../support/postgres';

/**
 * Every key-ring store against its real backend: instances sharing a store see each other's
 * keys, start together without making duplicate keys, survive restarts, stay isolated by
 * application name, and never hold key material in clear when a master key is configured.
 */
interface Backend {
  readonly name: string;
  readonly skipReason?: string;
  /** prepares the backend for one test file */
  setUp(): Promise<void>;
  /** a new connection to the shared backend, as a separate instance would open */
  connect(applicationName: string): Promise<DataProtectionKeyStore>;
  /** everything the backend stores for these application names, as raw text */
  rawContents(applicationNames: readonly string[]): Promise<string[]>;
  tearDown(): Promise<void>;
}

function databaseBackend(name: string, skipReason: string | undefined, createUrl: () => Promise<{ url: string; drop(): Promise<void> }>): Backend {
  let url = '';
  let drop: () => Promise<void> = async () => undefined;
  const dataSources: DataSource[] = [];
  const open = async (): Promise<DataSource> => {
    const dataSource = await new DataSource({ ...dataSourceOptionsFor(url), entities: [DataProtectionKeyEntity] }).initialize();
    dataSources.push(dataSource);
    return dataSource;
  };
  return {
    name,
    skipReason,
    async setUp() {
      ({ url, drop } = await createUrl());
      // the migration under test (idempotent when the database was cloned from a migrated template)
      await runPendingMigrations(await open());
    },
    async connect(applicationName) {
      return new TypeOrmDataProtectionKeyStore((await open()).getRepository(DataProtectionKeyEntity), applicationName);
    },
    async rawContents(applicationNames) {
      const [dataSource] = dataSources;
      const rows = await dataSource.query('SELECT * FROM data_protection_keys') as Record<string, unknown>[];
      return rows.filter((r) => applicationNames.includes(String(r.application_name))).map((r) => JSON.stringify(r));
    },
    async tearDown() {
      for (const dataSource of dataSources) if (dataSource.isInitialized) await dataSource.destroy();
      await drop();
    },
  };
}

const sqliteBackend = (): Backend => databaseBackend('database (SQLite file)', undefined, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-sqlite-'));
  return { url: `sqlite:${join(dir, 'identity.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
});

const postgresBackend = (): Backend => databaseBackend(
  'database (PostgreSQL)', process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL unset', createTestDatabase);

function fileBackend(): Backend {
  let dir = '';
  return {
    name: 'file',
    async setUp() {
      dir = mkdtempSync(join(tmpdir(), 'dp-keys-'));
    },
    async connect(applicationName) {
      return new FileDataProtectionKeyStore(join(dir, 'ring'), applicationName);
    },
    async rawContents() {
      const ring = join(dir, 'ring');
      return readdirSync(ring).map((f) => readFileSync(join(ring, f), 'utf8'));
    },
    async tearDown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisBackend(): Backend {
  const clients: Redis[] = [];
  const applicationNames = new Set<string>();
  const url = process.env.TEST_REDIS_URL ?? '';
  return {
    name: 'redis',
    skipReason: url ? undefined : 'TEST_REDIS_URL unset',
    async setUp() {
      // application names are unique per test, so the hashes are ours alone
    },
    async connect(applicationName) {
      applicationNames.add(applicationName);
      const store = RedisDataProtectionKeyStore.connect(url, applicationName);
      clients.push(store.redis);
      return store;
    },
    async rawContents(names) {
      const redis = new Redis(url);
      try {
        const values = await Promise.all(names.map((n) => redis.hgetall(`${n}:data-protection:keys`)));
        return values.flatMap((hash) => Object.values(hash));
      } finally {
        redis.disconnect();
      }
    },
    async tearDown() {
      const redis = new Redis(url);
      for (const name of applicationNames) await redis.del(`${name}:data-protection:keys`, `${name}:data-protection:create-lock`);
      redis.disconnect();
      for (const client of clients) client.disconnect();
    },
  };
}

/** Every encoding a careless store could write the 32-byte secret in. */
function encodingsOf(secret: Buffer): string[] {
  return [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex'), JSON.stringify([...secret])];
}

const backends = [sqliteBackend(), postgresBackend(), fileBackend(), redisBackend()];
for (const skipped of backends.filter((b) => b.skipReason)) {
  describe.skip(`key-ring store ${skipped.name} (skipped: ${skipped.skipReason})`, () => it('needs its backend', () => undefined));
}

describe.each(backends.filter((b) => !b.skipReason))('key-ring store $name', (backend) => {
  const masterKey = randomBytes(32);
  const encryptor = new KeyMaterialEncryptor(masterKey, undefined);

  beforeAll(() => backend.setUp());
  afterAll(() => backend.tearDown());
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const appName = (): string => `dp-test-${randomUUID()}`;
  const instance = async (applicationName: string, options: { clock?: Clock; keyLifetime?: string; withEncryptor?: KeyMaterialEncryptor } = {}) =>
    createEphemeralDataProtection({
      store: await backend.connect(applicationName), applicationName, encryptor: options.withEncryptor ?? encryptor,
      clock: options.clock, keyLifetime: options.keyLifetime,
    });

  it('two instances sharing the store: what one protects, the other unprotects', async () => {
    const name = appName();
    const a = await instance(name);
    const b = await instance(name);
    const fromA = await a.provider.createProtector('grants').protect('made on A');
    await expect(b.provider.createProtector('grants').unprotect(fromA)).resolves.toBe('made on A');
    const fromB = await b.provider.createProtector('grants').protect(new Uint8Array([1, 2, 3]));
    expect([...await a.provider.createProtector('grants').unprotectBytes(fromB)]).toEqual([1, 2, 3]);
  });

  it('several instances starting at once on an empty ring create exactly one key and agree on it', async () => {
    const name = appName();
    const instances = await Promise.all(Array.from({ length: 4 }, () => instance(name)));
    await Promise.all(instances.map((i) => i.ring.initialize()));
    const ids = await Promise.all(instances.map(async (i) => (await i.ring.defaultKey()).id));
    expect(new Set(ids).size).toBe(1);
    expect(await (await backend.connect(name)).loadAll()).toHaveLength(1);
  });

  it('a restart keeps the ring: a new instance unprotects what the old one protected, without a new key', async () => {
    const name = appName();
    const before = await instance(name);
    const payload = await before.provider.createProtector('p').protect('kept');
    const after = await instance(name);
    await expect(after.provider.createProtector('p').unprotect(payload)).resolves.toBe('kept');
    expect(await after.store.loadAll()).toHaveLength(1);
  });

  it('rings are isolated by application name', async () => {
    const one = await instance(appName());
    const two = await instance(appName());
    const payload = await one.provider.createProtector('p').protect('x');
    const error = await two.provider.createProtector('p').unprotect(payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnprotectError);
    expect((error as UnprotectError).reason).toBe('key-not-found');
    expect((await one.ring.defaultKey()).id).not.toBe((await two.ring.defaultKey()).id);
  });

  it('lists the application names that have rings in the backend (for the doctor)', async () => {
    const [one, two] = [appName(), appName()];
    await (await instance(one)).ring.initialize();
    await (await instance(two)).ring.initialize();
    const store = await backend.connect(one);
    expect(await store.applicationNames()).toEqual(expect.arrayContaining([one, two]));
    expect(store.ephemeral).toBe(false);
  });

  it('a key revoked through one instance stops unprotecting on the other, which moves to a new key', async () => {
    const name = appName();
    const a = await instance(name);
    const b = await instance(name);
    const payload = await a.provider.createProtector('p').protect('x');
    const revokedId = (await a.ring.defaultKey()).id;
    expect(await a.ring.revokeKey(revokedId)).toBe(true);
    await b.ring.reload();
    const error = await b.provider.createProtector('p').unprotect(payload).catch((e: unknown) => e);
    expect((error as UnprotectError).reason).toBe('key-revoked');
    expect((await b.ring.defaultKey()).id).not.toBe(revokedId);
    const stored = await b.store.loadAll();
    expect(stored.find((k) => k.id === revokedId)?.revoked).toBe(true);
    expect(stored.filter((k) => !k.revoked)).toHaveLength(1);
  });

  it('instances converge on the successor one of them created ahead of expiry (simulated time)', async () => {
    const name = appName();
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const a = await instance(name, { clock, keyLifetime: '40s' });
    const b = await instance(name, { clock, keyLifetime: '40s' });
    const first = await a.provider.createProtector('p').protect('first');
    await b.ring.initialize();
    clock.advance(31_000); // within the propagation window (a quarter of the lifetime)
    await a.provider.createProtector('p').protect('creates the successor');
    clock.advance(10_000); // past the first key's expiry
    const second = await b.provider.createProtector('p').protect('second');
    const keys = await a.store.loadAll();
    expect(keys).toHaveLength(2);
    const successor = keys.reduce((x, y) => (x.activationDate > y.activationDate ? x : y));
    expect((await b.ring.defaultKey()).id).toBe(successor.id);
    expect((await a.ring.defaultKey()).id).toBe(successor.id);
    await expect(a.provider.createProtector('p').unprotect(second)).resolves.toBe('second');
    await expect(b.provider.createProtector('p').unprotect(first)).resolves.toBe('first');
  });

  it('at rest with a master key, no stored value contains the key material; without one it would', async () => {
    const encrypted = appName();
    const plain = appName();
    const withKey = await instance(encrypted);
    const withoutKey = await instance(plain, { withEncryptor: new KeyMaterialEncryptor(undefined, undefined) });
    const secret = (await withKey.ring.defaultKey()).secret;
    const plainSecret = (await withoutKey.ring.defaultKey()).secret;
    const encryptedContents = (await backend.rawContents([encrypted])).join('\n');
    expect(encryptedContents).toContain('master-key');
    for (const encoding of encodingsOf(secret)) expect(encryptedContents).not.toContain(encoding);
    // the scan finds material when it is there
    const plainContents = (await backend.rawContents([plain])).join('\n');
    expect(encodingsOf(plainSecret).some((e) => plainContents.includes(e))).toBe(true);
  });

  if (backend.name === 'file') {
    it('writes one 0600 file per key and leaves no temporary files', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dp-mode-'));
      try {
        const store = new FileDataProtectionKeyStore(dir, 'mode-test');
        const { ring } = createEphemeralDataProtection({ store, applicationName: 'mode-test' });
        const key = await ring.defaultKey();
        expect(readdirSync(dir)).toEqual([`key-${key.id}.json`]);
        expect(statSync(join(dir, `key-${key.id}.json`)).mode & 0o777).toBe(0o600);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
