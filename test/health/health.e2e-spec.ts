import { createServer, connect, type Server, type Socket } from 'node:net';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, startTestApp, type TestApp } from '../support/test-app';

interface HealthBody {
  readonly status: string;
  readonly info: Record<string, { status: string }>;
  readonly error: Record<string, { status: string; message?: string }>;
  readonly details: Record<string, { status: string }>;
}

async function health(app: TestApp, path = '/health'): Promise<{ status: number; body: HealthBody; cacheControl: string | null }> {
  const response = await fetch(`${app.baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as HealthBody, cacheControl: response.headers.get('cache-control') };
}

describe('GET /health (SQLite)', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp(); });
  afterAll(async () => { await app?.close(); });

  it('with every dependency up, should answer 200 in Terminus shape with discovery, jwks and database up', async () => {
    const { status, body, cacheControl } = await health(app);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.error).toEqual({});
    for (const name of ['discovery', 'jwks', 'database']) expect(body.details[name]).toMatchObject({ status: 'up' });
    expect(cacheControl).toBe('no-store');
  });

  it('GET /health/ready, should answer as /health: the same indicators, deployment included', async () => {
    const [all, ready] = [await health(app), await health(app, '/health/ready')];
    expect(ready.status).toBe(200);
    expect(ready.cacheControl).toBe('no-store');
    expect(Object.keys(ready.body.details).sort()).toEqual(Object.keys(all.body.details).sort());
    expect(ready.body.details.deployment).toMatchObject({ status: 'up', findings: expect.any(Array) });
  });

  it('GET /health/live, should answer 200 without checking dependencies', async () => {
    const { status, body } = await health(app, '/health/live');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
  });
});

describe('GET /health with ISSUER_URI', () => {
  it('should build the discovery document for that issuer', async () => {
    const app = await startTestApp({ ISSUER_URI: 'https://id.example.test' });
    try {
      const { body } = await health(app);
      expect(body.details.discovery).toMatchObject({ status: 'up', issuer: 'https://id.example.test' });
    } finally {
      await app.close();
    }
  });
});

/** A TCP forwarder in front of PostgreSQL that the test can cut, like a network failure. */
class TcpForwarder {
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        // A cut connection errors on both sides; the app must notice, the test must not crash.
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    this.port = address && typeof address === 'object' ? address.port : 0;
  }

  /** Stops accepting and destroys every open connection: PostgreSQL becomes unreachable. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describeIfPostgres('GET /health when PostgreSQL becomes unreachable', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let forwarder: TcpForwarder;
  let app: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The app reaches its own database only through the forwarder.
    const direct = new URL(database.url);
    forwarder = new TcpForwarder(direct.hostname, Number(direct.port || 5432));
    await forwarder.start();
    const through = new URL(database.url);
    through.hostname = '127.0.0.1';
    through.port = String(forwarder.port);
    app = await startTestApp({ DATABASE_URL: through.toString() });
  });

  afterAll(async () => {
    await app?.close();
    await forwarder?.cut();
    await database?.drop();
  });

  it('should answer 200 while the database is reachable', async () => {
    const { status, body } = await health(app);
    expect(status).toBe(200);
    expect(body.details.database).toMatchObject({ status: 'up', type: 'postgres' });
  });

  it('after the connection is cut, should answer 503 with database down while discovery keeps answering', async () => {
    await forwarder.cut();

    const { status, body } = await health(app);
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error.database).toMatchObject({ status: 'down' });
    expect(body.details.discovery).toMatchObject({ status: 'up' });
    expect(body.details.jwks).toMatchObject({ status: 'up' });

    const discovery = await fetch(`${app.baseUrl}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect((await discovery.json()) as { issuer: string }).toMatchObject({ issuer: app.baseUrl });
    expect((await fetch(`${app.baseUrl}/health/live`)).status).toBe(200);
  });
});
