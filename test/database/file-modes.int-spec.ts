import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';
import { modeOf, withUmask } from '../support/umask';

/**
 * Issue 9: the default SQLite database holds grants and, unencrypted unless a master key is set,
 * the data-protection key ring, so everything the server creates on disk must be private to its
 * user, whatever the umask.
 */
describe('files the server creates', () => {
  let dir: string;
  let app: TestApp | undefined;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'idsrv-file-modes-')); });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('start-up under umask 022, should create the data folder 0700, the SQLite database with its -wal and -shm 0600, and private key stores', async () => {
    const data = join(dir, 'data');
    app = await withUmask(0o022, () => startTestApp({
      DATABASE_URL: `sqlite:${join(data, 'identity.sqlite')}`,
      DATA_PROTECTION_KEY_STORE: 'file',
      DATA_PROTECTION_KEY_PATH: join(data, 'dp-keys'),
      KEY_MANAGEMENT_KEY_STORE: 'file',
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
    }));
    // A request that signs, so the signing key exists for sure.
    const response = await fetch(`${app.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('m2m:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=api1',
    });
    expect(response.status).toBe(200);

    expect(modeOf(data)).toBe(0o700);
    for (const file of ['identity.sqlite', 'identity.sqlite-wal', 'identity.sqlite-shm']) expect([file, modeOf(join(data, file))]).toEqual([file, 0o600]);
    expect(modeOf(join(data, 'dp-keys'))).toBe(0o700);
    expect(modeOf(join(dir, 'keys'))).toBe(0o700);
    const keyFiles = [...readdirSync(join(data, 'dp-keys')).map((f) => join(data, 'dp-keys', f)), ...readdirSync(join(dir, 'keys')).map((f) => join(dir, 'keys', f))];
    expect(keyFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of keyFiles) expect([file, modeOf(file)]).toEqual([file, 0o600]);
  });
});
