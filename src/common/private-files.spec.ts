import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modeOf, withUmask } from '../../test/support/umask';
import { withLockFile } from './lock-file';
import { createPrivateDirectory, createPrivateFileIfMissing, writePrivateFile } from './private-files';

describe('private files', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'private-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('createPrivateDirectory, under umask 022, should create the folder and every missing parent 0700', async () => {
    await withUmask(0o022, () => createPrivateDirectory(join(dir, 'a', 'b', 'c')));
    for (const folder of ['a', 'a/b', 'a/b/c']) expect(modeOf(join(dir, folder))).toBe(0o700);
  });

  it('createPrivateDirectory, under a umask that would strip the owner\'s bits, should still set 0700 (chmod, not the umask)', async () => {
    await withUmask(0o277, () => createPrivateDirectory(join(dir, 'x', 'y')));
    expect(modeOf(join(dir, 'x'))).toBe(0o700);
    expect(modeOf(join(dir, 'x', 'y'))).toBe(0o700);
  });

  it('createPrivateDirectory, when folders already exist, should leave the operator\'s modes alone', async () => {
    mkdirSync(join(dir, 'shared'), { mode: 0o755 });
    await withUmask(0o022, () => createPrivateDirectory(join(dir, 'shared', 'ours')));
    expect(modeOf(join(dir, 'shared'))).toBe(0o755);
    expect(modeOf(join(dir, 'shared', 'ours'))).toBe(0o700);
    await createPrivateDirectory(join(dir, 'shared'));
    expect(modeOf(join(dir, 'shared'))).toBe(0o755);
  });

  it('writePrivateFile, under umask 022 or 277, should write a 0600 file, and refuse to overwrite one', async () => {
    await withUmask(0o022, () => writePrivateFile(join(dir, 'one'), 'secret'));
    await withUmask(0o277, () => writePrivateFile(join(dir, 'two'), 'secret'));
    expect(modeOf(join(dir, 'one'))).toBe(0o600);
    expect(modeOf(join(dir, 'two'))).toBe(0o600);
    expect(readFileSync(join(dir, 'one'), 'utf8')).toBe('secret');
    await expect(writePrivateFile(join(dir, 'one'), 'other')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(join(dir, 'one'), 'utf8')).toBe('secret');
  });

  it('createPrivateFileIfMissing should create an empty 0600 file once and leave an existing one as it is', async () => {
    await expect(withUmask(0o022, () => createPrivateFileIfMissing(join(dir, 'db')))).resolves.toBe(true);
    expect(modeOf(join(dir, 'db'))).toBe(0o600);
    expect(readFileSync(join(dir, 'db'), 'utf8')).toBe('');
    await writePrivateFile(join(dir, 'kept'), 'data');
    await expect(createPrivateFileIfMissing(join(dir, 'kept'))).resolves.toBe(false);
    expect(readFileSync(join(dir, 'kept'), 'utf8')).toBe('data');
  });

  it('withLockFile, under umask 022, should hold a 0600 lock file', async () => {
    const lock = join(dir, '.lock');
    const mode = await withUmask(0o022, () => withLockFile(lock, async () => modeOf(lock)));
    expect(mode).toBe(0o600);
  });
});
