import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { CliModule } from '../../src/cli/cli.module';
import { CLI_COMMANDS } from '../../src/cli/commands';
import { loadAppConfig } from '../../src/config/app-config';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * On a SQLite file, the server's own connection neither checkpoints nor fsyncs at each commit
 * (both would run synchronously, on the event loop): a worker thread does it (docs/deployment.md).
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

  it('on a SQLite file, should leave checkpoints and their fsync to the worker while the server runs', async () => {
    app = await startTestApp({ DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}` });
    const connection = (app.app.get(DataSource).driver as unknown as { databaseConnection: { pragma(s: string, o: object): unknown } }).databaseConnection;
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // synchronous=NORMAL (1): commits are synced by the worker's checkpoints, not on the event loop.
    expect(connection.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('in a CLI command\'s context (no HTTP server), should start no worker: the connection checkpoints as SQLite does by default', async () => {
    const config = loadAppConfig({ DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`, KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'), DATA_PROTECTION_KEY_PATH: join(dir, 'dp') });
    const context = await NestFactory.createApplicationContext(CliModule.forCommand(CLI_COMMANDS.find((c) => c.name === 'migrate')!, config, {}), { logger: false });
    try {
      const connection = (context.get(DataSource).driver as unknown as { databaseConnection: { pragma(s: string, o: object): unknown } }).databaseConnection;
      expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      await context.close();
    }
  });
});
