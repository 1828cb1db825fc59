import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modeOf, withUmask } from '../../test/support/umask';
import type { StoredDataProtectionKey } from './data-protection-key';
import { FileDataProtectionKeyStore } from './file-data-protection-key.store';

const key = (id: string): StoredDataProtectionKey => ({
  id,
  creationDate: new Date('2030-01-01T00:00:00Z'),
  activationDate: new Date('2030-01-01T00:00:00Z'),
  expirationDate: new Date('2030-04-01T00:00:00Z'),
  revoked: false,
  encryption: 'none',
  keyMaterial: 'c2VjcmV0',
});

describe('FileDataProtectionKeyStore', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dp-file-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('add, under umask 022, should create the folder (and missing parents) 0700 and the key file 0600', async () => {
    // The default DATA_PROTECTION_KEY_PATH is data/dp-keys: `data` may not exist yet either.
    const folder = join(dir, 'data', 'dp-keys');
    const store = new FileDataProtectionKeyStore(folder, 'app');
    await withUmask(0o022, () => store.withCreationLock(() => store.add(key('0f8fad5b-d9cb-469f-a165-70867728950e'))));
    expect(modeOf(join(dir, 'data'))).toBe(0o700);
    expect(modeOf(folder)).toBe(0o700);
    expect(readdirSync(folder)).toEqual(['key-0f8fad5b-d9cb-469f-a165-70867728950e.json']);
    expect(modeOf(join(folder, 'key-0f8fad5b-d9cb-469f-a165-70867728950e.json'))).toBe(0o600);
  });

  it('revoke, under umask 022, should rewrite the key file 0600', async () => {
    const store = new FileDataProtectionKeyStore(dir, 'app');
    await store.add(key('7c9e6679-7425-40de-944b-e07fc1f90ae7'));
    await withUmask(0o022, () => store.revoke('7c9e6679-7425-40de-944b-e07fc1f90ae7'));
    expect((await store.loadAll())[0]?.revoked).toBe(true);
    expect(modeOf(join(dir, 'key-7c9e6679-7425-40de-944b-e07fc1f90ae7.json'))).toBe(0o600);
  });

  it('add, into a folder the operator made, should keep the folder\'s mode', async () => {
    mkdirSync(join(dir, 'shared'));
    chmodSync(join(dir, 'shared'), 0o750);
    await new FileDataProtectionKeyStore(join(dir, 'shared'), 'app').add(key('16fd2706-8baf-433b-82eb-8c7fada847da'));
    expect(modeOf(join(dir, 'shared'))).toBe(0o750);
  });
});
