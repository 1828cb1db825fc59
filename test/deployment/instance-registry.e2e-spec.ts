import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Clock } from '../../src/common/clock';
import { InstanceHeartbeatService } from '../../src/deployment/instance-heartbeat.service';
import { HEARTBEAT_INTERVAL_MS, INSTANCE_EXPIRY_MS, InstanceRegistry } from '../../src/deployment/instance-registry';
import type { InstanceRow } from '../../src/deployment/instance.entity';
import { FakeClock } from '../support/fakes/fake-clock';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

async function rowIds(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>('SELECT id FROM instances ORDER BY id')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

function otherInstance(id: string, seen: Date): InstanceRow {
  return {
    id, host: 'elsewhere', version: VERSION, applicationName: 'identity-server', keyRingId: '0123456789abcdef', cacheKind: 'redis',
    startedAt: seen, lastSeenAt: seen, untrustedForwardedHeaders: 0, lastUntrustedPeer: null,
  };
}

/** docs/deployment.md, "Checking a deployment": the heartbeat of the instance registry, on the fake clock. */
describeIfPostgres('instance registry heartbeat and expiry (PostgreSQL, fake clock)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: TestApp | undefined;
  const clock = new FakeClock();

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await startTestApp({ DATABASE_URL: database.url }, { providers: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('at start, should record this instance: random id, host, version, application name, key-ring id, cache kind, times', async () => {
    const registry = app!.app.get(InstanceRegistry);
    const heartbeat = app!.app.get(InstanceHeartbeatService);
    const live = await registry.listLive(clock.now());
    expect(live).toEqual([{
      id: heartbeat.instanceId, host: hostname(), version: VERSION, applicationName: 'identity-server',
      keyRingId: expect.stringMatching(/^[0-9a-f]{16}$/), cacheKind: 'in-process',
      startedAt: clock.now(), lastSeenAt: clock.now(), untrustedForwardedHeaders: 0, lastUntrustedPeer: null,
    }]);
  });

  it('each beat, should refresh last seen; an instance that stops beating should drop out of the live list after three intervals and be removed', async () => {
    const registry = app!.app.get(InstanceRegistry);
    const heartbeat = app!.app.get(InstanceHeartbeatService);
    await registry.record(otherInstance('00000000-0000-4000-8000-000000000001', clock.now()));

    clock.advance(HEARTBEAT_INTERVAL_MS);
    await heartbeat.beat();
    expect((await registry.listLive(clock.now())).map((r) => r.host).sort()).toEqual(['elsewhere', hostname()].sort());

    // Three intervals without a beat of its own: no longer live, and the next beat of a live instance removes it.
    clock.advance(INSTANCE_EXPIRY_MS - HEARTBEAT_INTERVAL_MS + 1);
    expect((await registry.listLive(clock.now())).map((r) => r.id)).toEqual([]);
    await heartbeat.beat();
    const live = await registry.listLive(clock.now());
    expect(live.map((r) => [r.id, r.lastSeenAt])).toEqual([[heartbeat.instanceId, clock.now()]]);
    expect(await rowIds(database.url)).toEqual([heartbeat.instanceId]);
  });

  it('on graceful shutdown, should remove its own row', async () => {
    expect(await rowIds(database.url)).toHaveLength(1);
    await app!.close();
    app = undefined;
    expect(await rowIds(database.url)).toEqual([]);
  });
});
