import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase } from '../support/postgres';
import { describeIfPostgres } from '../support/test-app';
import { runCli } from '../support/cli-process';

const ROOT = resolve(__dirname, '../..');
const NOTIFIED_WITHIN_MS = 10_000;

interface JwksResponse { readonly kids: string[]; readonly etag: string }


/** A real server process (test/support/app-process.ts boots like main.ts) serving HTTP on a port it picks. */
class ServerProcess {
  readonly output: string[] = [];
  port = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listening: Promise<void>;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', 'test/support/app-process.ts'], { cwd: ROOT, env });
    this.child.stderr.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.listening = new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening within 90 s:\n${this.output.join('\n')}`)), 90_000);
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        this.output.push(line);
        if (!line.startsWith('@@')) return;
        const message = JSON.parse(line.slice(2)) as { event: string; port?: number; message?: string };
        if (message.event === 'listening') { clearTimeout(timer); this.port = Number(message.port); resolvePromise(); }
        if (message.event === 'failed') { clearTimeout(timer); reject(new Error(`server failed: ${message.message}\n${this.output.join('\n')}`)); }
      });
    });
  }

  started(): Promise<void> {
    return this.listening;
  }

  async jwks(ifNoneMatch?: string): Promise<JwksResponse & { status: number }> {
    const response = await fetch(`http://127.0.0.1:${this.port}/.well-known/openid-configuration/jwks`, { headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {} });
    const etag = response.headers.get('etag') ?? '';
    if (response.status === 304) return { status: 304, kids: [], etag };
    const body = (await response.json()) as { keys: Array<{ kid: string }> };
    return { status: response.status, kids: body.keys.map((k) => k.kid), etag };
  }

  /** Polls (bounded) until the JWKS lists every kid; returns when, in ms since epoch, or undefined. */
  async waitForKids(kids: readonly string[], deadline: number): Promise<number | undefined> {
    for (;;) {
      const { kids: published } = await this.jwks();
      if (kids.every((kid) => published.includes(kid))) return Date.now();
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
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

interface Rotation {
  readonly keys: Array<{ kid: string; alg: string; created: string; phase: string; nextPhaseAt: string }>;
  readonly inJwksBy: string;
  readonly notified: boolean;
  readonly notifiedInstances: number | null;
}

/** Two server processes on one PostgreSQL database (and, when given, one Redis), plus the CLI with the same settings. */
async function startFleet(settings: Record<string, string>) {
  const database = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'km-propagation-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'error',
    CONFIG_FILE: join(ROOT, 'config/identity.json'),
    // Its own application name: its keys and its Redis channel collide with no other test.
    DATA_PROTECTION_APPLICATION_NAME: `propagation-${randomUUID()}`,
    KEY_MANAGEMENT_KEY_PATH: join(dir, 'keys'),
    DATA_PROTECTION_KEY_PATH: join(dir, 'dp-keys'),
    ...settings,
  };
  if (!settings.REDIS_URL) delete env.REDIS_URL;
  const servers = [new ServerProcess(env), new ServerProcess(env)];
  await Promise.all(servers.map((s) => s.started()));
  return {
    env, servers,
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeIfPostgres('key-set propagation across real processes (docs/deployment.md, "Signing keys")', () => {
  const redisUrl = process.env.TEST_REDIS_URL;
  const describeWithRedis = redisUrl ? describe : describe.skip;

  describeWithRedis('with REDIS_URL (publish/subscribe)', () => {
    let fleet: Awaited<ReturnType<typeof startFleet>>;
    // A key cache far longer than the test: only the Redis notification can make an instance re-read.
    beforeAll(async () => {
      fleet = await startFleet({ REDIS_URL: redisUrl as string, KEY_MANAGEMENT_KEY_CACHE_DURATION: '10m', KEY_MANAGEMENT_PROPAGATION_TIME: '1h' });
    }, 150_000);
    afterAll(() => fleet?.stop(), 30_000);

    it('keys rotate through the CLI should show the new key in both instances\' JWKS within 10 s, with a new ETag; a second rotate is refused, --force goes through', async () => {
      const before = await Promise.all(fleet.servers.map((s) => s.jwks()));
      expect(before[0].kids).toHaveLength(1);
      expect(before[1]).toEqual(before[0]);

      const run = await runCli(['keys', 'rotate', '--json'], fleet.env);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const rotation = JSON.parse(run.stdout) as Rotation;
      expect(rotation).toMatchObject({ notified: true, notifiedInstances: 2 });
      const [key] = rotation.keys;
      const created = Date.parse(key.created);
      // promised from the moment it was published, just after the key was written
      expect(Date.parse(rotation.inJwksBy) - created).toBeGreaterThanOrEqual(NOTIFIED_WITHIN_MS);
      expect(Date.parse(rotation.inJwksBy) - created).toBeLessThan(NOTIFIED_WITHIN_MS + 5_000);
      expect(Date.parse(key.nextPhaseAt)).toBe(created + 3_600_000); // it signs after the propagation time

      const seen = await Promise.all(fleet.servers.map((s) => s.waitForKids([key.kid], created + NOTIFIED_WITHIN_MS + 5_000)));
      const delays = seen.map((at) => (at === undefined ? Infinity : at - created));
      process.stdout.write(`[propagation] with Redis: new kid in both JWKS ${delays.map((d) => `${d} ms`).join(' and ')} after it was written\n`);
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(NOTIFIED_WITHIN_MS);

      const after = await Promise.all(fleet.servers.map((s) => s.jwks()));
      expect(after[1]).toEqual(after[0]);
      expect(after[0].kids).toEqual([...before[0].kids, key.kid]);
      expect(after[0].etag).not.toBe(before[0].etag);
      // A relying party revalidating with the old ETag gets the new key set, not 304.
      const revalidated = await fleet.servers[1].jwks(before[0].etag);
      expect(revalidated.status).toBe(200);
      expect((await fleet.servers[1].jwks(after[0].etag)).status).toBe(304);

      const refused = await runCli(['keys', 'rotate'], fleet.env);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 1, stdout: '' });
      expect(refused.stderr).toBe(`Not rotating: RS256 key ${key.kid} is already announced and signs from ${key.nextPhaseAt}: not announcing a second key (run \`keys rotate --force\` to announce one anyway).\n`);

      const forced = await runCli(['keys', 'rotate', '--force'], fleet.env);
      expect({ code: forced.code, stderr: forced.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = forced.stdout.trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^Announced RS256 key [0-9A-F]{32}; it signs from \S+Z\.$/),
        expect.stringMatching(/^Every running instance lists it in its JWKS within 10 s \(by \S+Z\): 2 running instances notified through Redis\.$/),
      ]);
      const forcedKid = /key ([0-9A-F]{32})/.exec(lines[0])?.[1] as string;
      const deadline = Date.now() + NOTIFIED_WITHIN_MS;
      const seenForced = await Promise.all(fleet.servers.map((s) => s.waitForKids([forcedKid], deadline)));
      expect(seenForced.every((at) => at !== undefined)).toBe(true);
    }, 120_000);

    it('keys plan --json against the store should date each manual step from the stored keys', async () => {
      const listed = JSON.parse((await runCli(['keys', 'list', '--json'], fleet.env)).stdout) as { keys: Rotation['keys'] };
      const [signing, waiting, forced] = listed.keys;
      expect([signing.phase, waiting.phase, forced.phase]).toEqual(['signing', 'announced', 'announced']);
      const run = await runCli(['keys', 'plan', '--json'], fleet.env);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const plan = JSON.parse(run.stdout) as { steps: Array<{ action: string; kid: string | null; alg: string; earliestAt: string; reason: string }> };
      expect(plan.steps.map((s) => [s.action, s.kid, s.alg])).toEqual([
        ['rotate', null, 'RS256'], ['retire', signing.kid, 'RS256'],
        ['remove', signing.kid, 'RS256'], ['remove', waiting.kid, 'RS256'], ['remove', forced.kid, 'RS256'],
      ]);
      const at = (i: number) => Date.parse(plan.steps[i].earliestAt);
      const hour = 3_600_000;
      expect(at(0)).toBe(Date.parse(forced.created) + hour); // once the last waiting key signs
      expect(at(1)).toBe(Date.parse(waiting.created) + hour); // successor propagated (1h > 10m cache)
      // the signing key signs until the first successor takes over, then 10m cache + longest token lifetime
      expect(at(2)).toBeGreaterThan(Date.parse(waiting.created) + hour + 10 * 60_000);
      expect(plan.steps[3].reason).toMatch(/^it has signed nothing/);
      for (const step of plan.steps) expect(step.reason.length).toBeGreaterThan(20);
    }, 60_000);
  });

  describe('without REDIS_URL (key cache duration)', () => {
    const CACHE_MS = 3_000;
    let fleet: Awaited<ReturnType<typeof startFleet>>;
    // KEY_CACHE_DURATION < PROPAGATION_TIME < ROTATION_INTERVAL, with a cache short enough to wait out.
    beforeAll(async () => {
      fleet = await startFleet({ KEY_MANAGEMENT_KEY_CACHE_DURATION: `${CACHE_MS}ms`, KEY_MANAGEMENT_PROPAGATION_TIME: '30s' });
    }, 150_000);
    afterAll(() => fleet?.stop(), 30_000);

    it('keys rotate through the CLI should say when, and both instances should show the key within the key cache duration', async () => {
      await Promise.all(fleet.servers.map((s) => s.jwks()));
      const run = await runCli(['keys', 'rotate', '--json'], fleet.env);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const rotation = JSON.parse(run.stdout) as Rotation;
      expect(rotation).toMatchObject({ notified: false, notifiedInstances: null });
      const { kid } = rotation.keys[0];
      const created = Date.parse(rotation.keys[0].created);
      expect(Date.parse(rotation.inJwksBy) - created).toBeGreaterThanOrEqual(CACHE_MS);
      expect(Date.parse(rotation.inJwksBy) - created).toBeLessThan(CACHE_MS + 5_000);
      const seen = await Promise.all(fleet.servers.map((s) => s.waitForKids([kid], created + CACHE_MS * 3)));
      const delays = seen.map((at) => (at === undefined ? Infinity : at - created));
      process.stdout.write(`[propagation] without Redis (cache ${CACHE_MS} ms): new kid in both JWKS ${delays.map((d) => `${d} ms`).join(' and ')} after it was written\n`);
      // the cache duration, plus a poll interval and a request
      for (const delay of delays) expect(delay).toBeLessThanOrEqual(CACHE_MS + 1_000);
    }, 90_000);
  });
});
