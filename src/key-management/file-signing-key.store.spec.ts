import { Logger } from '@nestjs/common';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modeOf, withUmask } from '../../test/support/umask';
import type { SerializedSigningKey } from '../stores/models';
import { FileSigningKeyStore } from './file-signing-key.store';

const key = (id: string, created = new Date('2030-01-01T00:00:00Z')): SerializedSigningKey => ({
  id, version: 1, created, algorithm: 'RS256', isX509Certificate: false, dataProtected: true, data: `protected-${id}`,
});

describe('FileSigningKeyStore', () => {
  let dir: string;
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'km-file-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loadKeys, with no folder yet, should return no keys', async () => {
    await expect(new FileSigningKeyStore(join(dir, 'missing')).loadKeys()).resolves.toEqual([]);
  });

  it('storeKey then loadKeys should round-trip every field, one file per key named by kid, no temp files left', async () => {
    const store = new FileSigningKeyStore(join(dir, 'keys'));
    await store.storeKey(key('AAAAAAAAAAAAAAAA', new Date('2030-01-02T03:04:05.678Z')));
    await store.storeKey(key('BBBBBBBBBBBBBBBB'));
    const loaded = await new FileSigningKeyStore(join(dir, 'keys')).loadKeys();
    expect(loaded).toEqual([key('AAAAAAAAAAAAAAAA', new Date('2030-01-02T03:04:05.678Z')), key('BBBBBBBBBBBBBBBB')]);
    expect(readdirSync(join(dir, 'keys')).sort()).toEqual(['key-AAAAAAAAAAAAAAAA.json', 'key-BBBBBBBBBBBBBBBB.json']);
  });

  it('storeKey, under umask 022, should create the folder 0700 and each key file 0600 (only the server\'s user reads keys)', async () => {
    const folder = join(dir, 'deploy', 'keys');
    await withUmask(0o022, () => new FileSigningKeyStore(folder).storeKey(key('HHHHHHHHHHHHHHHH')));
    expect(modeOf(join(dir, 'deploy'))).toBe(0o700);
    expect(modeOf(folder)).toBe(0o700);
    expect(modeOf(join(folder, 'key-HHHHHHHHHHHHHHHH.json'))).toBe(0o600);
  });

  it('storeKey, into a folder the operator made, should keep the folder\'s mode', async () => {
    mkdirSync(join(dir, 'shared'), { mode: 0o750 });
    chmodSync(join(dir, 'shared'), 0o750);
    await new FileSigningKeyStore(join(dir, 'shared')).storeKey(key('IIIIIIIIIIIIIIII'));
    expect(modeOf(join(dir, 'shared'))).toBe(0o750);
    expect(modeOf(join(dir, 'shared', 'key-IIIIIIIIIIIIIIII.json'))).toBe(0o600);
  });

  it('storeKey and deleteKey should refuse ids that are not our kid format (no path traversal)', async () => {
    const store = new FileSigningKeyStore(dir);
    await expect(store.storeKey(key('../../etc/passwd'))).rejects.toThrow(/Invalid signing key id/);
    await expect(store.deleteKey('../x')).rejects.toThrow(/Invalid signing key id/);
  });

  it('loadKeys should ignore unrelated files and skip a damaged or renamed key file', async () => {
    const store = new FileSigningKeyStore(dir);
    await store.storeKey(key('CCCCCCCCCCCCCCCC'));
    writeFileSync(join(dir, 'key-DDDDDDDDDDDDDDDD.json'), '{ not json');
    writeFileSync(join(dir, 'key-EEEEEEEEEEEEEEEE.json'), JSON.stringify({ ...key('FFFFFFFFFFFFFFFF'), created: '2030-01-01T00:00:00Z' }));
    writeFileSync(join(dir, 'README.txt'), 'hello');
    expect((await store.loadKeys()).map((k) => k.id)).toEqual(['CCCCCCCCCCCCCCCC']);
  });

  it('deleteKey should remove the file and tolerate a missing one', async () => {
    const store = new FileSigningKeyStore(dir);
    await store.storeKey(key('GGGGGGGGGGGGGGGG'));
    await store.deleteKey('GGGGGGGGGGGGGGGG');
    await store.deleteKey('GGGGGGGGGGGGGGGG');
    expect(await store.loadKeys()).toEqual([]);
  });

  it('withExclusiveLock, from two stores sharing the folder (two processes), should never overlap', async () => {
    const a = new FileSigningKeyStore(dir);
    const b = new FileSigningKeyStore(dir);
    let inside = 0;
    let maxInside = 0;
    const work = async () => {
      inside++;
      maxInside = Math.max(maxInside, inside);
      await new Promise((r) => setTimeout(r, 15));
      inside--;
    };
    await Promise.all([1, 2, 3, 4].flatMap(() => [a.withExclusiveLock(work), b.withExclusiveLock(work)]));
    expect(maxInside).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('withExclusiveLock should release the lock when the work fails', async () => {
    const store = new FileSigningKeyStore(dir);
    await expect(store.withExclusiveLock(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(store.withExclusiveLock(async () => 42)).resolves.toBe(42);
  });

  it('withExclusiveLock should break a stale lock left by a crashed process, and time out on a live one', async () => {
    const lock = join(dir, '.signing-keys.lock');
    writeFileSync(lock, '999999:dead');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lock, old, old);
    await expect(new FileSigningKeyStore(dir).withExclusiveLock(async () => 'ran')).resolves.toBe('ran');

    writeFileSync(lock, '1:alive');
    const impatient = new FileSigningKeyStore(dir, { lockTimeoutMs: 200 });
    await expect(impatient.withExclusiveLock(async () => 'never')).rejects.toThrow(/Timed out waiting for the signing-key lock/);
  });
});
