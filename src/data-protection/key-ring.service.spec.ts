import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { SystemClock } from '../common/clock';
import { ReadOnlyError, WriteAccess } from '../common/write-access';
import { loadAppConfig } from '../config/app-config';
import type { StoredDataProtectionKey } from './data-protection-key';
import { InMemoryDataProtectionKeyStore } from './in-memory-data-protection-key.store';
import { KeyMaterialEncryptor } from './key-material.encryptor';
import { KeyRingService } from './key-ring.service';
import { KeyRingDataProtectionProvider } from './key-ring.data-protection.provider';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { FakeClock } from '../../test/support/fakes/fake-clock';

const config = loadAppConfig({});

/** A store whose reads can be made to fail, like a database that went away. */
class FlakyStore extends InMemoryDataProtectionKeyStore {
  failing = false;

  override async loadAll(): Promise<StoredDataProtectionKey[]> {
    if (this.failing) throw new Error('connection refused');
    return super.loadAll();
  }
}

describe('KeyRingService', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('initialize, when a key cannot be decrypted, should start on hold: create no key, report it, log once per check, and refuse to protect with a 503 error', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const clock = new FakeClock();
    const store = new InMemoryDataProtectionKeyStore();
    const writer = new KeyRingService(store, new KeyMaterialEncryptor(randomBytes(32), undefined), clock, config);
    const { id } = await writer.defaultKey();
    const reader = new KeyRingService(store, new KeyMaterialEncryptor(randomBytes(32), undefined), clock, config);
    await expect(reader.initialize()).resolves.toBeDefined();
    expect(reader.getUnreadableKeys()).toEqual([{ id, message: expect.stringMatching(`DATA_PROTECTION_MASTER_KEY cannot decrypt data-protection key ${id}`) as unknown }]);
    // it never creates a replacement key that would orphan existing data, even when asked to protect
    const refused = await reader.defaultKey().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect((refused as DependencyUnavailableError).dependency).toBe('key-ring');
    const protector = new KeyRingDataProtectionProvider(reader, clock).createProtector('tests');
    await expect(protector.protect('x')).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await store.loadAll()).toHaveLength(1);
    // one line naming the key and the settings, not one per request; again at the next refresh check
    const holdLines = () => errors.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('is on hold'));
    expect(holdLines()).toHaveLength(1);
    expect(holdLines()[0]).toContain(id);
    expect(holdLines()[0]).toMatch(/DATA_PROTECTION_MASTER_KEY.*DATA_PROTECTION_CERTIFICATE.*DATA_PROTECTION_APPLICATION_NAME/);
    for (let i = 0; i < 5; i++) await reader.lookup(id);
    expect(holdLines()).toHaveLength(1);
    clock.advance(reader.policy.refreshPeriod);
    await reader.defaultKey().catch(() => undefined);
    expect(holdLines()).toHaveLength(2);
    expect(await store.loadAll()).toHaveLength(1);
  });

  it('initialize, when the ring is empty, should create the first key as before', async () => {
    const store = new InMemoryDataProtectionKeyStore();
    const ring = new KeyRingService(store, new KeyMaterialEncryptor(randomBytes(32), undefined), new SystemClock(), config);
    await ring.initialize();
    expect(await store.loadAll()).toHaveLength(1);
    expect(ring.getUnreadableKeys()).toEqual([]);
  });

  it('initialize, when only a revoked key cannot be decrypted, should start and create a new key', async () => {
    const store = new InMemoryDataProtectionKeyStore();
    const writer = new KeyRingService(store, new KeyMaterialEncryptor(randomBytes(32), undefined), new SystemClock(), config);
    await store.revoke((await writer.defaultKey()).id);
    const reader = new KeyRingService(store, new KeyMaterialEncryptor(randomBytes(32), undefined), new SystemClock(), config);
    await expect(reader.initialize()).resolves.toBeDefined();
    expect(await store.loadAll()).toHaveLength(2);
  });

  it('reload, when the store fails after start-up, should keep protecting with the cached ring and log the error', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const store = new FlakyStore();
    const ring = new KeyRingService(store, new KeyMaterialEncryptor(undefined, undefined), new SystemClock(), config);
    const key = await ring.defaultKey();
    store.failing = true;
    await ring.reload();
    expect((await ring.defaultKey()).id).toBe(key.id);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('connection refused'));
  });

  it('subkey, when asked twice for the same key and purposes, should derive once', async () => {
    const ring = new KeyRingService(new InMemoryDataProtectionKeyStore(), new KeyMaterialEncryptor(undefined, undefined), new SystemClock(), config);
    const key = await ring.defaultKey();
    const first = ring.subkey(key, Buffer.from('ctx'), 'ctx');
    expect(ring.subkey(key, Buffer.from('ctx'), 'ctx')).toBe(first);
    expect(ring.subkey(key, Buffer.from('other'), 'other').equals(first)).toBe(false);
  });

  describe('read-only (the CLI\'s read-only commands)', () => {
    const readOnly = (store: InMemoryDataProtectionKeyStore, encryptor = new KeyMaterialEncryptor(undefined, undefined)) =>
      new KeyRingService(store, encryptor, new SystemClock(), config, WriteAccess.readOnly);

    it('listKeys, when the ring is empty, should list nothing and create no key', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const ring = readOnly(store);
      await ring.onModuleInit();
      expect(await ring.listKeys()).toEqual({ keys: [], defaultKeyId: undefined });
      expect(await store.loadAll()).toEqual([]);
    });

    it('lookup, when the ring is empty, should find nothing and create no key', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      expect(await readOnly(store).lookup('0f0e0d0c-0b0a-4909-8807-060504030201')).toEqual({ found: false, reason: 'key-not-found' });
      expect(await store.loadAll()).toEqual([]);
    });

    it('lookup, when a writer made the key, should find it so payloads can be unprotected', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const encryptor = new KeyMaterialEncryptor(undefined, undefined);
      const { id } = await new KeyRingService(store, encryptor, new SystemClock(), config).defaultKey();
      const found = await readOnly(store, encryptor).lookup(id);
      expect(found.found).toBe(true);
      expect(await store.loadAll()).toHaveLength(1);
    });

    it('revokeKey should refuse with a ReadOnlyError and leave the key as it is', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const { id } = await new KeyRingService(store, new KeyMaterialEncryptor(undefined, undefined), new SystemClock(), config).defaultKey();
      await expect(readOnly(store).revokeKey(id)).rejects.toBeInstanceOf(ReadOnlyError);
      expect((await store.loadAll())[0].revoked).toBe(false);
    });
  });
});
