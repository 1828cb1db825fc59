import { createHash, randomBytes } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock } from '../../src/common/clock';
import { ClientStore } from '../../src/stores/client.store';
import type { Client } from '../../src/stores/models';
import { DatabaseConfiguration } from '../../src/stores/typeorm-config';
import { FakeClock } from '../support/fakes/fake-clock';
import { createTestDatabase } from '../support/postgres';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { startTestApp, type TestApp } from '../support/test-app';

const describeIfPostgresAndRedis = process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL ? describe : describe.skip;

/** client_credentials for `m2m` (config/identity.json, secret "secret") with the given secret. */
async function tokenRequest(app: TestApp, secret: string, scope = 'api1'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.baseUrl}/connect/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`m2m:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

/** Replaces m2m's secrets directly in the table, as an operator or the admin API would. */
async function setSecretInDatabase(app: TestApp, secret: string): Promise<void> {
  const digest = createHash('sha256').update(secret).digest('base64');
  const dataSource = app.app.get<DataSource>(getDataSourceToken());
  await dataSource.query(
    `UPDATE configuration_clients SET client_secrets = ${dataSource.options.type === 'postgres' ? '$1' : '?'} WHERE client_id = 'm2m'`,
    [JSON.stringify([{ type: 'SharedSecret', value: `sha256:${digest}` }])],
  );
}

describeIfPostgresAndRedis('CONFIGURATION_STORE=database on two instances sharing PostgreSQL and Redis', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      CONFIGURATION_STORE: 'database',
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      DATA_PROTECTION_APPLICATION_NAME: `idsrv-test-${randomBytes(6).toString('hex')}`,
    };
    // Started together: the empty store is seeded once (a second seed would fail on the primary keys).
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('seeded from CONFIG_FILE, should issue a client_credentials token on both instances', async () => {
    const dataSource = a.app.get<DataSource>(getDataSourceToken());
    const [{ count }] = await dataSource.query('SELECT COUNT(*) AS count FROM configuration_clients') as [{ count: string }];
    expect(Number(count)).toBeGreaterThan(0);
    for (const app of [a, b]) {
      const response = await tokenRequest(app, 'secret');
      expect(response.status).toBe(200);
      expect(response.body.token_type).toBe('Bearer');
    }
  });

  it('a secret changed in the database and announced on A, should work on B within 5 s, and the old one stop', async () => {
    // B has read the store already (the test above); its cache lasts CONFIGURATION_CACHE_DURATION (5m).
    await setSecretInDatabase(a, 'rotated-secret');
    await a.app.get(DatabaseConfiguration).configurationChanged();

    const deadline = Date.now() + 5_000;
    let response = await tokenRequest(b, 'rotated-secret');
    while (response.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await tokenRequest(b, 'rotated-secret');
    }
    expect(response.status).toBe(200);
    const old = await tokenRequest(b, 'secret');
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
  });

  it('a new API scope added in the database and announced on A, should be granted on B within 5 s', async () => {
    expect((await tokenRequest(b, 'rotated-secret', 'api1 reports')).body.error).toBe('invalid_scope');
    const dataSource = a.app.get<DataSource>(getDataSourceToken());
    await dataSource.query(`INSERT INTO configuration_api_scopes (name, position, display_name, user_claims) VALUES ('reports', 9, NULL, '[]')`);
    await dataSource.query(`UPDATE configuration_api_resources SET scopes = '["api1","reports"]' WHERE name = 'urn:api1'`);
    await dataSource.query(`UPDATE configuration_clients SET allowed_scopes = '["api1","reports"]' WHERE client_id = 'm2m'`);
    await a.app.get(DatabaseConfiguration).configurationChanged();

    const deadline = Date.now() + 5_000;
    let response = await tokenRequest(b, 'rotated-secret', 'api1 reports');
    while (response.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await tokenRequest(b, 'rotated-secret', 'api1 reports');
    }
    expect(response.status).toBe(200);
    expect(response.body.scope).toBe('api1 reports');
  });

  it('/health should show the configuration store as read from the database', async () => {
    const response = await fetch(`${b.baseUrl}/health`);
    const body = await response.json() as { details: Record<string, Record<string, unknown>> };
    expect(response.status).toBe(200);
    expect(body.details.configuration).toMatchObject({ status: 'up', store: 'database', loadedAt: expect.any(String) });
    expect(body.details.configuration.servingLastGoodCopy).toBeUndefined();
  });
});

/** configuration_reloads_total from GET /metrics. */
async function reloads(app: TestApp): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const match = /^configuration_reloads_total (\d+)$/m.exec(text);
  if (!match) throw new Error('configuration_reloads_total missing from /metrics');
  return Number(match[1]);
}

describe('CONFIGURATION_STORE=database without an announcement', () => {
  const clock = new FakeClock(new Date());
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ CONFIGURATION_STORE: 'database', CONFIGURATION_CACHE_DURATION: '5m' }, { providers: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a secret changed in the database, should take effect once CONFIGURATION_CACHE_DURATION has passed', async () => {
    expect((await tokenRequest(app, 'secret')).status).toBe(200);
    await setSecretInDatabase(app, 'changed-by-hand');

    clock.advance(5 * 60_000 - 1_000);
    expect((await tokenRequest(app, 'changed-by-hand')).status).toBe(401);
    expect((await tokenRequest(app, 'secret')).status).toBe(200);

    const reloadsBefore = await reloads(app);
    clock.advance(1_000);
    expect((await tokenRequest(app, 'changed-by-hand')).status).toBe(200);
    expect((await tokenRequest(app, 'secret')).status).toBe(401);
    // One read of the tables, however many requests it served.
    expect(await reloads(app)).toBe(reloadsBefore + 1);
  });
});

describe('CONFIGURATION_STORE=database through a database outage (a private PostgreSQL)', () => {
  const clock = new FakeClock(new Date());
  let postgres: PrivatePostgres;
  let app: TestApp;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    app = await startTestApp({ CONFIGURATION_STORE: 'database', DATABASE_URL: postgres.url }, { providers: [{ provide: Clock, useValue: clock }] });
  }, 60_000);
  afterEach(async () => {
    if (postgres && !postgres.running) await postgres.start();
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await postgres?.destroy();
  });

  it('past the cache duration with the database down, should issue tokens from the last good copy and say so in /health', async () => {
    expect((await tokenRequest(app, 'secret')).status).toBe(200);
    await postgres.stop();
    clock.advance(5 * 60_000);

    expect((await tokenRequest(app, 'secret')).status).toBe(200);
    expect((await tokenRequest(app, 'wrong')).status).toBe(401);
    const health = await fetch(`${app.baseUrl}/health`);
    const body = await health.json() as { details: Record<string, Record<string, unknown>> };
    expect(body.details.configuration).toMatchObject({ status: 'up', servingLastGoodCopy: true, since: expect.any(String), reason: expect.any(String) });
    // The database indicator, not this one, takes the instance out of rotation.
    expect(body.details.database.status).toBe('down');
    expect(health.status).toBe(503);

    await postgres.start();
    clock.advance(5_000);
    expect((await tokenRequest(app, 'secret')).status).toBe(200);
    const after = await (await fetch(`${app.baseUrl}/health`)).json() as { details: Record<string, Record<string, unknown>> };
    expect(after.details.configuration.servingLastGoodCopy).toBeUndefined();
  }, 60_000);
});

describe('CONFIGURATION_STORE=database with a ClientStore bound by the integrator', () => {
  let app: TestApp;

  beforeAll(async () => {
    // The integrator's store answers for m2m with its own secret; their binding wins over the database store.
    class IntegratorClientStore extends ClientStore {
      constructor(private readonly database: DatabaseConfiguration) {
        super();
      }

      override async findClientById(clientId: string): Promise<Client | undefined> {
        const seeded = await this.database.findClient(clientId);
        return seeded && { ...seeded, clientSecrets: [{ type: 'SharedSecret', sha256: createHash('sha256').update('integrator-secret').digest() }] };
      }
    }
    app = await startTestApp({ CONFIGURATION_STORE: 'database' }, {
      providers: [{ provide: ClientStore, inject: [DatabaseConfiguration], useFactory: (database: DatabaseConfiguration) => new IntegratorClientStore(database) }],
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('should authenticate clients through the integrator\'s store', async () => {
    expect((await tokenRequest(app, 'integrator-secret')).status).toBe(200);
    expect((await tokenRequest(app, 'secret')).status).toBe(401);
  });
});
