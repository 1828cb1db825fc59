import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * On a SQLite file, the server's own connection never checkpoints (a checkpoint copies and fsyncs
 * pages synchronously, on the event loop): a worker thread does it (docs/deployment.md).
 */
describe('SQLite checkpoints', () => {
  let dir: string;
  let app: TestApp | undefined;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'idsrv-checkpoint-app-')); });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('on a SQLite file, should leave checkpoints to the worker while the server runs', async () => {
    app = await startTestApp({ DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}` });
    const connection = (app.app.get(DataSource).driver as unknown as { databaseConnection: { pragma(s: string, o: object): unknown } }).databaseConnection;
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });
});
