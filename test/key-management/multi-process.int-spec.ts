import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { createEmptyDatabase } from '../support/postgres';
import { describeIfPostgres } from '../support/test-app';

const ROOT = resolve(__dirname, '../..');
const CACHE_MS = 2000;

interface Message { readonly event: string; readonly [field: string]: unknown }
interface Jwks { readonly keys: ReadonlyArray<{ readonly kid: string; readonly alg: string }> }

/** One application process (test/support/app-process.ts) driven over stdio. */
class AppProcess {
  private readonly waiting: Array<{ event: string; resolve: (m: Message) => void }> = [];
  private readonly messages: Message[] = [];
  readonly output: string[] = [];
  port = 0;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.output.push(line);
      if (!line.startsWith('@@')) return;
      const message = JSON.parse(line.slice(2)) as Message;
      const waiter = this.waiting.findIndex((w) => w.event === message.event || message.event === 'failed' || message.event === 'error');
      if (waiter >= 0) this.waiting.splice(waiter, 1)[0].resolve(message);
      else this.messages.push(message);
    });
    child.stderr.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  next(event: string, timeoutMs = 60_000): Promise<Message> {
    const queued = this.messages.findIndex((m) => m.event === event || m.event === 'failed');
    if (queued >= 0) return Promise.resolve(this.messages.splice(queued, 1)[0]);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms; output:\n${this.output.join('\n')}`)), timeoutMs);
      this.waiting.push({ event, resolve: (m) => { clearTimeout(timer); resolvePromise(m); } });
    });
  }

  async command(name: string, event: string): Promise<Message> {
    this.child.stdin.write(`${name}\n`);
    const reply = await this.next(event);
    if (reply.event !== event) throw new Error(`${name} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** JWKS over HTTP when the discovery endpoint serves it, else from the process's SigningService. */
  async jwks(): Promise<Jwks> {
    const response = await fetch(`http://127.0.0.1:${this.port}/.well-known/openid-configuration/jwks`);
    if (response.status === 200) return (await response.json()) as Jwks;
    return (await this.command('jwks', 'jwks')).jwks as Jwks;
  }

  stop(): Promise<void> {
    return new Promise((resolvePromise) => {
      if (this.child.exitCode !== null) return resolvePromise();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      this.child.once('exit', () => { clearTimeout(timer); resolvePromise(); });
      this.child.stdin.write('exit\n');
    });
  }
}

/**
 * Issue 3, cluster safety: three application PROCESSES started at the same moment on one fresh
 * PostgreSQL database create exactly one key per algorithm and serve identical JWKS; a forced
 * rotation on one is seen by the others within the cache duration.
 */
describeIfPostgres('several app processes on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let dir: string;
  let apps: AppProcess[] = [];

  beforeAll(async () => {
    database = await createEmptyDatabase();
    dir = mkdtempSync(join(tmpdir(), 'km-multi-'));
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      CONFIG_FILE: join(ROOT, 'config/identity.json'),
      KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256+x509',
      KEY_MANAGEMENT_KEY_CACHE_DURATION: `${CACHE_MS}ms`,
      KEY_MANAGEMENT_PROPAGATION_TIME: '30s',
      KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
      DATA_PROTECTION_KEY_PATH: join(dir, 'dp-keys'),
    };
    apps = [0, 1, 2].map(() => new AppProcess(spawn(process.execPath, ['-r', '@swc-node/register', 'test/support/app-process.ts'], { cwd: ROOT, env })));
    const started = await Promise.all(apps.map((a) => a.next('listening', 90_000)));
    started.forEach((message, i) => {
      if (message.event !== 'listening') throw new Error(`process ${i} failed: ${JSON.stringify(message)}\n${apps[i].output.join('\n')}`);
      apps[i].port = Number(message.port);
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('should create exactly one key per algorithm and serve identical JWKS from every process', async () => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ algorithm: string; count: string }>(
        'SELECT algorithm, COUNT(*) AS count FROM signing_keys GROUP BY algorithm ORDER BY algorithm',
      );
      expect(rows.map((r) => [r.algorithm, Number(r.count)])).toEqual([['ES256', 1], ['RS256', 1]]);
    } finally {
      await client.end();
    }
    const [first, ...others] = await Promise.all(apps.map((a) => a.jwks()));
    expect(first.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256']);
    for (const jwks of others) expect(jwks).toEqual(first);
  });

  it('a forced rotation on one process should be seen by the others within the cache duration', async () => {
    const rotatedAt = Date.now();
    const kids = (await apps[0].command('rotate', 'rotated')).kids as string[];
    expect(kids).toHaveLength(2);
    const seenAfter = await Promise.all(apps.slice(1).map(async (app) => {
      for (;;) {
        const published = (await app.jwks()).keys.map((k) => k.kid);
        if (kids.every((kid) => published.includes(kid))) return Date.now() - rotatedAt;
        if (Date.now() - rotatedAt > CACHE_MS * 5) return Infinity;
        await new Promise((r) => setTimeout(r, 100));
      }
    }));
    // the cache duration, plus a little for the request and the rotation's own key generation
    for (const elapsed of seenAfter) expect(elapsed).toBeLessThanOrEqual(CACHE_MS + 1500);
    const all = await Promise.all(apps.map((a) => a.jwks()));
    for (const jwks of all) expect(jwks).toEqual(all[0]);
    expect(all[0].keys).toHaveLength(4);
  });
});
