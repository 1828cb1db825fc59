import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { InstanceHeartbeatService } from '../../src/deployment/instance-heartbeat.service';
import { LIVE_INSTANCES_CACHE_MS } from '../../src/deployment/live-instances.reader';
import { runCli } from '../support/cli-process';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres, describeIfRedis, startTestApp, type TestApp } from '../support/test-app';


interface Finding { readonly id: string; readonly severity: 'error' | 'warning'; readonly message: string; readonly fix: string }
interface Doctor { readonly code: number; readonly findings: Finding[]; readonly stderr: string }

/** `npm run -s cli -- doctor --json` as an operator runs it, in its own process. */
async function doctor(env: Record<string, string>): Promise<Doctor> {
  const { code, stdout, stderr } = await runCli(['doctor', '--json'], { ...process.env, NODE_ENV: '', LOG_LEVEL: 'error', ...env });
  try {
    return { code, findings: (JSON.parse(stdout) as { findings: Finding[] }).findings, stderr };
  } catch {
    throw new Error(`doctor printed no JSON (exit ${code}): ${stdout}\n${stderr}`);
  }
}

interface Ready {
  readonly status: number;
  readonly body: {
    readonly info: { readonly deployment?: { status: string; findings: Finding[] } };
    readonly error: { readonly deployment?: { status: string; findings: Finding[] } };
    readonly details: { readonly deployment?: { status: string; findings: Finding[] } };
  };
}

async function ready(app: TestApp): Promise<Ready> {
  const response = await fetch(`${app.baseUrl}/health/ready`);
  return { status: response.status, body: (await response.json()) as Ready['body'] };
}

function ids(findings: readonly Finding[] | undefined): string[] {
  return (findings ?? []).map((f) => f.id);
}

function find(findings: readonly Finding[] | undefined, id: string): Finding | undefined {
  return findings?.find((f) => f.id === id);
}

const MASTER_KEY = randomBytes(32).toString('base64');

/** docs/deployment.md, "Checking a deployment": each mistake made for real, seen by `doctor --json` and by /health/ready. */
describe('doctor and the deployment indicator (docs/deployment.md#checking-a-deployment)', () => {
  let dir: string;
  const apps: TestApp[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'doctor-')); });
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp(env);
    apps.push(app);
    return app;
  }

  /** A migrated SQLite file the server and the CLI share. */
  function sqliteFile(): string {
    return `sqlite:${join(dir, 'identity.sqlite')}`;
  }

  it('data-protection keys in an in-memory database: an error in production, a warning otherwise', async () => {
    const env = { DATABASE_URL: 'sqlite::memory:', DATA_PROTECTION_MASTER_KEY: MASTER_KEY };
    // The CLI process shares nothing with the servers: it runs meanwhile.
    const running = doctor({ ...env, NODE_ENV: 'production' });
    const production = await start({ ...env, NODE_ENV: 'production' });
    const down = await ready(production);
    expect(down.status).toBe(503);
    expect(down.body.error.deployment?.status).toBe('down');
    expect(find(down.body.error.deployment?.findings, 'data-protection-keys-ephemeral')).toMatchObject({ severity: 'error', fix: expect.stringContaining('DATABASE_URL') });

    const development = await start(env);
    const up = await ready(development);
    expect(up.status).toBe(200);
    expect(find(up.body.info.deployment?.findings, 'data-protection-keys-ephemeral')).toMatchObject({ severity: 'warning' });

    const cli = await running;
    expect(cli.code).toBe(1);
    expect(find(cli.findings, 'data-protection-keys-ephemeral')).toMatchObject({ severity: 'error' });
  }, 60_000);

  it('a key ring without master key or certificate: key-ring-unencrypted, an error in production', async () => {
    const app = await start({ DATABASE_URL: sqliteFile(), NODE_ENV: 'production' });
    const down = await ready(app);
    expect(down.status).toBe(503);
    expect(find(down.body.error.deployment?.findings, 'key-ring-unencrypted')).toMatchObject({ severity: 'error', fix: expect.stringContaining('DATA_PROTECTION_MASTER_KEY') });

    const cli = await doctor({ DATABASE_URL: sqliteFile(), NODE_ENV: 'production' });
    expect(cli.code).toBe(1);
    expect(find(cli.findings, 'key-ring-unencrypted')).toMatchObject({ severity: 'error' });
  }, 60_000);

  it('the signing-key folder inside a git work tree and not ignored: key-folder-in-git-work-tree', async () => {
    const repository = join(dir, 'repo');
    execFileSync('git', ['init', '-q', repository]);
    const env = {
      DATABASE_URL: sqliteFile(), DATA_PROTECTION_MASTER_KEY: MASTER_KEY,
      KEY_MANAGEMENT_KEY_STORE: 'file', KEY_MANAGEMENT_KEY_PATH: join(repository, 'keys'),
    };
    const app = await start(env);
    const down = await ready(app);
    expect(down.status).toBe(503);
    expect(find(down.body.error.deployment?.findings, 'key-folder-in-git-work-tree')).toMatchObject({
      severity: 'error', message: expect.stringContaining(join(repository, 'keys')), fix: expect.stringContaining('KEY_MANAGEMENT_KEY_PATH'),
    });

    // The data-protection key folder of a file store is looked at too.
    const cliEnv = { ...env, DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: join(repository, 'dp-keys') };
    const cli = await doctor(cliEnv);
    expect(cli.code).toBe(1);
    const inGit = cli.findings.filter((f) => f.id === 'key-folder-in-git-work-tree');
    expect(inGit.map((f) => [f.severity, /KEY_MANAGEMENT_KEY_PATH|DATA_PROTECTION_KEY_PATH/.exec(f.fix)?.[0]]))
      .toEqual([['error', 'KEY_MANAGEMENT_KEY_PATH'], ['error', 'DATA_PROTECTION_KEY_PATH']]);

    // Ignored by the repository: nothing to report.
    writeFileSync(join(repository, '.gitignore'), 'keys/\ndp-keys/\n');
    const ignored = await doctor(cliEnv);
    expect(ids(ignored.findings)).not.toContain('key-folder-in-git-work-tree');
  }, 60_000);

  it('forwarded headers from a peer that is not a known proxy: forwarded-headers-from-untrusted-proxy', async () => {
    const env = { DATABASE_URL: sqliteFile(), DATA_PROTECTION_MASTER_KEY: MASTER_KEY, KNOWN_PROXIES: '10.0.0.1', KNOWN_NETWORKS: '10.0.0.0/8' };
    const app = await start(env);
    expect(ids((await ready(app)).body.info.deployment?.findings)).not.toContain('forwarded-headers-from-untrusted-proxy');

    // The proxy terminates TLS and says so, but 127.0.0.1 is not trusted: the issuer stays http://.
    const discovery = await fetch(`${app.baseUrl}/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(app.baseUrl);

    const after = await ready(app);
    // A warning: any client can send these headers, so they must not take the instance out of its load balancer.
    expect(after.status).toBe(200);
    expect(find(after.body.info.deployment?.findings, 'forwarded-headers-from-untrusted-proxy')).toMatchObject({
      severity: 'warning', message: expect.stringContaining('127.0.0.1'), fix: expect.stringContaining('KNOWN_PROXIES'),
    });

    // The CLI sees no traffic: it reads what the instance recorded with its heartbeat.
    await app.app.get(InstanceHeartbeatService).beat();
    const cli = await doctor(env);
    expect(find(cli.findings, 'forwarded-headers-from-untrusted-proxy')).toMatchObject({ severity: 'warning', message: expect.stringContaining('127.0.0.1') });
  }, 60_000);

  it('ISSUER_URI with http:// in production: issuer-http-in-production', async () => {
    const env = { DATABASE_URL: sqliteFile(), DATA_PROTECTION_MASTER_KEY: MASTER_KEY, NODE_ENV: 'production', ISSUER_URI: 'http://id.example.test' };
    const app = await start(env);
    const down = await ready(app);
    expect(down.status).toBe(503);
    expect(ids(down.body.error.deployment?.findings)).toEqual(['issuer-http-in-production']);
    expect(find(down.body.error.deployment?.findings, 'issuer-http-in-production')?.fix).toContain('ISSUER_URI');

    const cli = await doctor(env);
    expect(cli.code).toBe(1);
    expect(ids(cli.findings)).toEqual(['issuer-http-in-production']);
  }, 60_000);
});

describeIfPostgres('doctor and the deployment indicator: several instances on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const apps: TestApp[] = [];
  beforeEach(async () => {
    database = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'doctor-fleet-'));
  });
  afterEach(async () => {
    while (apps.length > 0) await apps.pop()?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp({ DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: MASTER_KEY, ...env });
    apps.push(app);
    return app;
  }

  it('two instances with in-process caches: in-process-cache-with-several-instances', async () => {
    const a = await start({});
    const alone = await ready(a);
    expect(alone.status).toBe(200);
    expect(ids(alone.body.info.deployment?.findings)).not.toContain('in-process-cache-with-several-instances');

    const b = await start({});
    // B counts A once A has been seen since B started (one heartbeat, every 30 s): a row older than that may be a killed predecessor.
    await a.app.get(InstanceHeartbeatService).beat();
    // The newcomer leaves the load balancer; the first instance lists the conflict and keeps serving alone.
    const down = await ready(b);
    expect(down.status).toBe(503);
    expect(find(down.body.error.deployment?.findings, 'in-process-cache-with-several-instances')).toMatchObject({ severity: 'error', fix: expect.stringContaining('REDIS_URL') });
    // A read the registry alone a moment ago: it sees B once that read expires (LIVE_INSTANCES_CACHE_MS).
    let incumbent = await ready(a);
    for (let waited = 0; !find(incumbent.body.info.deployment?.findings, 'in-process-cache-with-several-instances') && waited <= LIVE_INSTANCES_CACHE_MS; waited += 250) {
      await new Promise((r) => setTimeout(r, 250));
      incumbent = await ready(a);
    }
    expect(incumbent.status).toBe(200);
    expect(find(incumbent.body.info.deployment?.findings, 'in-process-cache-with-several-instances')).toMatchObject({ severity: 'warning' });
    const cli = await doctor({ DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: MASTER_KEY });
    expect(cli.code).toBe(1);
    expect(ids(cli.findings)).toEqual(['in-process-cache-with-several-instances']);

    // Gracefully stopped, B leaves the registry: A is alone again.
    await apps.pop()?.close();
    expect(ids((await doctor({ DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: MASTER_KEY })).findings)).toEqual([]);
  }, 90_000);

  it('instances with different application names: instances-disagree-on-application-name', async () => {
    const a = await start({});
    const b = await start({ DATA_PROTECTION_APPLICATION_NAME: 'another-application' });
    // B counts A once A has been seen since B started (one heartbeat, every 30 s): a row older than that may be a killed predecessor.
    await a.app.get(InstanceHeartbeatService).beat();
    const down = await ready(b);
    expect(down.status).toBe(503);
    expect(find(down.body.error.deployment?.findings, 'instances-disagree-on-application-name')).toMatchObject({ severity: 'error' });
    expect(find((await ready(a)).body.details.deployment?.findings, 'instances-disagree-on-application-name')).toMatchObject({ severity: 'warning' });
    const cli = await doctor({ DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: MASTER_KEY });
    expect(cli.code).toBe(1);
    expect(find(cli.findings, 'instances-disagree-on-application-name')).toMatchObject({
      severity: 'error', message: expect.stringContaining('"another-application"'), fix: expect.stringContaining('DATA_PROTECTION_APPLICATION_NAME'),
    });
  }, 90_000);

  it('instances of one application reading different key rings: instances-disagree-on-key-ring', async () => {
    const a = await start({});
    const b = await start({ DATA_PROTECTION_KEY_STORE: 'file', DATA_PROTECTION_KEY_PATH: join(dir, 'dp-keys') });
    // B counts A once A has been seen since B started (one heartbeat, every 30 s): a row older than that may be a killed predecessor.
    await a.app.get(InstanceHeartbeatService).beat();
    const down = await ready(b);
    expect(down.status).toBe(503);
    expect(find(down.body.error.deployment?.findings, 'instances-disagree-on-key-ring')).toMatchObject({ severity: 'error', fix: expect.stringContaining('DATA_PROTECTION_KEY_STORE') });
    expect(find((await ready(a)).body.details.deployment?.findings, 'instances-disagree-on-key-ring')).toMatchObject({ severity: 'warning' });
    const cli = await doctor({ DATABASE_URL: database.url, DATA_PROTECTION_MASTER_KEY: MASTER_KEY });
    expect(ids(cli.findings)).toContain('instances-disagree-on-key-ring');
  }, 90_000);
});

describeIfRedis('doctor and the deployment indicator: Redis without persistence (the shared test Redis runs with --save "" --appendonly no)', () => {
  const redisUrl = process.env.TEST_REDIS_URL ?? '';
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'doctor-redis-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holding the replay cache: redis-replay-cache-not-persisted, a warning', async () => {
    // A database file the server migrates and the CLI then reads.
    const env = { DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`, DATA_PROTECTION_MASTER_KEY: MASTER_KEY, REDIS_URL: redisUrl };
    const app = await startTestApp(env);
    try {
      const up = await ready(app);
      expect(up.status).toBe(200);
      expect(find(up.body.info.deployment?.findings, 'redis-replay-cache-not-persisted')).toMatchObject({ severity: 'warning', fix: expect.stringContaining('REDIS_URL') });
    } finally {
      await app.close();
    }
    const cli = await doctor(env);
    expect(cli.code).toBe(0);
    expect(find(cli.findings, 'redis-replay-cache-not-persisted')).toMatchObject({ severity: 'warning' });
  }, 60_000);

  it('holding the data-protection key ring: redis-key-ring-not-persisted, an error', async () => {
    const applicationName = `doctor-test-${randomBytes(6).toString('hex')}`;
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`, DATA_PROTECTION_MASTER_KEY: MASTER_KEY, REDIS_URL: redisUrl,
      DATA_PROTECTION_KEY_STORE: 'redis', DATA_PROTECTION_APPLICATION_NAME: applicationName,
    };
    const redis = new Redis(redisUrl);
    try {
      const app = await startTestApp(env);
      try {
        const down = await ready(app);
        expect(down.status).toBe(503);
        expect(find(down.body.error.deployment?.findings, 'redis-key-ring-not-persisted')).toMatchObject({ severity: 'error', fix: expect.stringContaining('DATA_PROTECTION_KEY_STORE') });
        expect(ids(down.body.error.deployment?.findings)).not.toContain('redis-replay-cache-not-persisted');
      } finally {
        await app.close();
      }
      const cli = await doctor(env);
      expect(cli.code).toBe(1);
      expect(find(cli.findings, 'redis-key-ring-not-persisted')).toMatchObject({ severity: 'error' });
    } finally {
      const keys = await redis.keys(`${applicationName}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  }, 60_000);
});
