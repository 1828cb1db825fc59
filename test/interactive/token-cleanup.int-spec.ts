import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';
import { PersistedGrantStore } from '../../src/stores/persisted-grant.store';
import { DeviceFlowStore } from '../../src/stores/device-flow.store';
import { ServerSideSessionStore } from '../../src/stores/server-side-session.store';
import { TokenCleanupService } from '../../src/token-cleanup/token-cleanup.service';
import {
  createInteractiveFixtures, createPostgresInteractiveFixtures, type InteractiveFixtures, type PostgresInteractiveFixtures,
} from './device-fixtures';

const HOUR = 3_600_000;

/** Five expired and two live rows in each store (and a grant that never expires). */
async function seed(server: TestApp, tag: string): Promise<void> {
  const grants = server.app.get(PersistedGrantStore);
  const devices = server.app.get(DeviceFlowStore);
  const sessions = server.app.get(ServerSideSessionStore);
  const now = Date.now();
  const rows = [...Array.from({ length: 5 }, (_, i) => ({ name: `expired-${i}`, expiration: new Date(now - HOUR - i * 1000) })),
    { name: 'live-0', expiration: new Date(now + HOUR) }, { name: 'live-1', expiration: new Date(now + 2 * HOUR) }];
  for (const { name, expiration } of rows) {
    const key = `${tag}-${name}`;
    await grants.store({ key, type: 'refresh_token', subjectId: '1', clientId: 'tv', creationTime: new Date(now - 2 * HOUR), expiration, data: 'x' });
    await devices.store({ deviceCodeHash: key, userCode: `uc-${key}`, clientId: 'tv', creationTime: new Date(now - 2 * HOUR), expiration, data: 'x' });
    await sessions.create({
      key, scheme: 'idsrv', subjectId: '1', sessionId: `sid-${key}`, created: new Date(now - 2 * HOUR), renewed: new Date(now - 2 * HOUR), expires: expiration, data: 'x',
    });
  }
  await grants.store({ key: `${tag}-forever`, type: 'user_consent', subjectId: '1', clientId: 'tv', creationTime: new Date(now - 2 * HOUR), data: 'x' });
}

async function remaining(server: TestApp, tag: string): Promise<{ grants: string[]; devices: string[]; sessions: string[] }> {
  const names = ['expired-0', 'expired-1', 'expired-2', 'expired-3', 'expired-4', 'live-0', 'live-1', 'forever'].map((n) => `${tag}-${n}`);
  const grants = server.app.get(PersistedGrantStore);
  const devices = server.app.get(DeviceFlowStore);
  const sessions = server.app.get(ServerSideSessionStore);
  const present = async (find: (key: string) => Promise<unknown>) => {
    const found: string[] = [];
    for (const key of names) if (await find(key)) found.push(key.slice(tag.length + 1));
    return found;
  };
  return {
    grants: await present((k) => grants.get(k)),
    devices: await present((k) => devices.findByDeviceCodeHash(k)),
    sessions: await present((k) => sessions.get(k)),
  };
}

async function removesExpiredKeepsLive(env: Record<string, string>): Promise<void> {
  const server = await startTestApp({ ...env, TOKEN_CLEANUP_BATCH_SIZE: '2' });
  try {
    await seed(server, 'a');
    const result = await server.app.get(TokenCleanupService).removeExpired();
    // batches of 2 over 5 expired rows: three rounds per store, all removed
    expect(result).toEqual({ persistedGrants: 5, deviceCodes: 5, serverSideSessions: 5, attemptCounters: 0 });
    expect(await remaining(server, 'a')).toEqual({ grants: ['live-0', 'live-1', 'forever'], devices: ['live-0', 'live-1'], sessions: ['live-0', 'live-1'] });
    expect(await server.app.get(TokenCleanupService).removeExpired()).toEqual({ persistedGrants: 0, deviceCodes: 0, serverSideSessions: 0, attemptCounters: 0 });
  } finally {
    await server.close();
  }
}

describe('token cleanup on SQLite', () => {
  let fixtures: InteractiveFixtures;
  beforeAll(() => { fixtures = createInteractiveFixtures(); });
  afterAll(() => fixtures?.remove());

  it('removes expired grants, device codes and sessions in batches and leaves live ones', async () => {
    await removesExpiredKeepsLive({ CONFIG_FILE: fixtures.configFile });
  });

  it('the scheduled host sweeps every TOKEN_CLEANUP_INTERVAL on its own', async () => {
    const server = await startTestApp({ CONFIG_FILE: fixtures.configFile, TOKEN_CLEANUP_INTERVAL: '1s' });
    try {
      await seed(server, 's');
      // start jitter (≤ 1 s) + one interval, with slack for a busy machine
      let left = await remaining(server, 's');
      for (let i = 0; i < 40 && (left.grants.length > 3 || left.devices.length > 2 || left.sessions.length > 2); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        left = await remaining(server, 's');
      }
      expect(left).toEqual({ grants: ['live-0', 'live-1', 'forever'], devices: ['live-0', 'live-1'], sessions: ['live-0', 'live-1'] });
    } finally {
      await server.close();
    }
  });

  it('`npm run cli -- cleanup --json` removes expired rows from the configured database', async () => {
    const env = { CONFIG_FILE: fixtures.configFile, DATABASE_URL: `sqlite:${join(fixtures.dir, 'cli.sqlite')}`, DATA_PROTECTION_KEY_PATH: join(fixtures.dir, 'dp'), KEY_MANAGEMENT_KEY_PATH: join(fixtures.dir, 'keys') };
    const server = await startTestApp(env);
    try {
      await seed(server, 'c');
    } finally {
      await server.close();
    }
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', 'src/cli/main.ts', 'cleanup', '--json'], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, ...env, LOG_LEVEL: 'error' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual({ persistedGrants: 5, deviceCodes: 5, serverSideSessions: 5, attemptCounters: 0 });
    const after = await startTestApp(env);
    try {
      expect(await remaining(after, 'c')).toEqual({ grants: ['live-0', 'live-1', 'forever'], devices: ['live-0', 'live-1'], sessions: ['live-0', 'live-1'] });
    } finally {
      await after.close();
    }
  }, 90_000);
});

describeIfPostgres('token cleanup on PostgreSQL', () => {
  let postgres: PostgresInteractiveFixtures;
  beforeAll(async () => { postgres = await createPostgresInteractiveFixtures(); });
  afterAll(() => postgres?.remove());

  it('removes expired grants, device codes and sessions in batches and leaves live ones', async () => {
    await removesExpiredKeepsLive(postgres.env);
  });
});
