/*
 * The real server process (src/main.ts), started as an operator would: what it prints when a
 * start fails, when it is ready, and when it is stopped.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** A line of a stack trace, as Node prints it. */
const STACK_FRAME = /^\s+at |at .*\(.*:\d+:\d+\)/;

interface ServerRun {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string;
}

interface RunningServer {
  /** resolves with the first stdout line matching, rejects if the process exits first */
  waitFor(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<ServerRun>;
}

/** Starts `node -r @swc-node/register src/main.ts` with only the given settings (no .env of the developer's). */
function startServer(settings: Record<string, string>): RunningServer {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      stdout.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<ServerRun>((done) => {
    child.on('close', (code) => {
      if (partial) stdout.push(partial);
      done({ code, stdout, stderr });
    });
  });
  return {
    waitFor: (pattern) => new Promise<string>((found, failed) => {
      const seen = stdout.find((line) => pattern.test(line));
      if (seen !== undefined) return found(seen);
      waiters.push({ pattern, resolve: found });
      void exited.then((run) => failed(new Error(`server exited (${run.code}) before printing ${pattern}:\n${run.stdout.join('\n')}\n${run.stderr}`)));
    }),
    kill: (signal) => child.kill(signal),
    exited,
  };
}

function runToExit(settings: Record<string, string>): Promise<ServerRun> {
  return startServer(settings).exited;
}

interface LogLine { level: number; msg: string; context?: string; setting?: string; file?: string; fix?: string; problems?: string[]; err?: { stack?: string } }

/** Every stdout line parsed as JSON: throws (failing the test) on the first that is not. */
function jsonLines(run: ServerRun): LogLine[] {
  return run.stdout.filter((line) => line !== '').map((line) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch (error) {
      throw new Error(`stdout line is not JSON: ${line} (${String(error)})`);
    }
  });
}

/** The one error line of a failed start; asserts the rest of the contract on the way. */
function theOneErrorLine(run: ServerRun): LogLine {
  expect(run.code).toBe(1);
  const lines = jsonLines(run);
  const errors = lines.filter((line) => line.level >= 50);
  expect(errors).toHaveLength(1);
  for (const line of [...run.stdout, ...run.stderr.split('\n')]) expect(line).not.toMatch(STACK_FRAME);
  expect(errors[0].msg).toMatch(/fix: .*docs\//);
  expect(errors[0].msg).not.toMatch(/SPEC/);
  return errors[0];
}

/** A TCP port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

function listeningPort(line: string): number {
  const match = /listening on http:\/\/[^:]+:(\d+) /.exec(line);
  if (!match) throw new Error(`no port in ${line}`);
  return Number(match[1]);
}

describe('server start-up and shutdown (src/main.ts)', () => {
  let dir: string;
  let database: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-startup-'));
    database = `sqlite:${join(dir, 'identity.sqlite')}`;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('a start that fails ends in one error line naming the setting or file and the fix, and exit code 1', () => {
    it('invalid settings: names every invalid variable', async () => {
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, PORT: 'abc', KEY_MANAGEMENT_ROTATION_INTERVAL: '1d' }));
      expect(line.msg).toContain('PORT: expected a whole number');
      expect(line.msg).toContain('KEY_MANAGEMENT_ROTATION_INTERVAL: must be longer than KEY_MANAGEMENT_PROPAGATION_TIME');
      expect(line.setting?.split(', ').sort()).toEqual(['KEY_MANAGEMENT_ROTATION_INTERVAL', 'PORT']);
      expect(line.fix).toContain('docs/settings.md');
    });

    it('an invalid LOG_FORMAT is reported as JSON too', async () => {
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, LOG_FORMAT: 'colourful' }));
      expect(line.msg).toContain('LOG_FORMAT: expected one of json, pretty, got "colourful"');
    });

    it('invalid configuration file: names CONFIG_FILE, the file and each JSON path', async () => {
      const file = join(dir, 'identity.json');
      writeFileSync(file, JSON.stringify({ clients: [{ clientId: 'a', allowedGrantTypes: ['no_such_grant'], redirectUris: ['relative'] }] }));
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, CONFIG_FILE: file }));
      expect(line).toMatchObject({ setting: 'CONFIG_FILE', file });
      expect(line.msg).toContain(file);
      expect(line.msg).toContain('clients[0].allowedGrantTypes[0]');
      expect(line.msg).toContain('clients[0].redirectUris[0]');
      expect(line.problems?.length).toBeGreaterThanOrEqual(2);
      expect(line.fix).toContain('docs/configuration-file.md');
    });

    it('unreadable configuration file: names CONFIG_FILE', async () => {
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, CONFIG_FILE: join(dir, 'missing.json') }));
      expect(line.setting).toBe('CONFIG_FILE');
      expect(line.msg).toContain('missing.json');
    });

    it('database unreachable: names DATABASE_URL, host:port and what to check, without the password', async () => {
      const port = await closedPort();
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: `postgres://idsrv:hunter2@127.0.0.1:${port}/idsrv` }));
      expect(line.setting).toBe('DATABASE_URL');
      expect(line.msg).toContain(`127.0.0.1:${port}`);
      expect(line.msg).toContain('DATABASE_URL');
      expect(line.fix).toMatch(/PostgreSQL is running/);
      expect(line.msg).not.toContain('hunter2');
    }, 60_000);

    it('migrations missing with DATABASE_MIGRATIONS_RUN=false: names `npm run cli -- migrate`', async () => {
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, DATABASE_MIGRATIONS_RUN: 'false' }));
      expect(line.setting).toBe('DATABASE_MIGRATIONS_RUN');
      expect(line.msg).toContain('npm run cli -- migrate');
      expect(line.msg).toContain('DATABASE_MIGRATIONS_RUN=false');
    });

    it('static key file missing: names SIGNING_CREDENTIALS and the file', async () => {
      const file = join(dir, 'signing.pem');
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, SIGNING_CREDENTIALS: `RS256=${file}` }));
      expect(line.setting).toBe('SIGNING_CREDENTIALS');
      expect(line.msg).toContain(file);
      expect(line.msg).toContain('cannot read the file (ENOENT)');
    });

    it('static key with a wrong password: names SIGNING_CREDENTIALS_PASSWORD', async () => {
      const file = join(dir, 'signing.pem');
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(file, privateKey);
      const line = theOneErrorLine(await runToExit({
        DATABASE_URL: database, SIGNING_CREDENTIALS: `RS256=${file}`, SIGNING_CREDENTIALS_PASSWORD: 'wrong',
      }));
      expect(line.setting).toBe('SIGNING_CREDENTIALS');
      expect(line.msg).toContain('wrong or missing SIGNING_CREDENTIALS_PASSWORD');
    });

    it('static key that does not fit its algorithm: names VALIDATION_KEYS and the file', async () => {
      const file = join(dir, 'ec.pem');
      writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
      const line = theOneErrorLine(await runToExit({ DATABASE_URL: database, VALIDATION_KEYS: `RS256=${file}` }));
      expect(line.setting).toBe('VALIDATION_KEYS');
      expect(line.msg).toContain(`RS256=${file}`);
    });

    it('data-protection certificate unreadable: names DATA_PROTECTION_CERTIFICATE', async () => {
      const line = theOneErrorLine(await runToExit({
        DATABASE_URL: database, DATA_PROTECTION_CERTIFICATE: join(dir, 'dp.crt'), DATA_PROTECTION_CERTIFICATE_KEY: join(dir, 'dp.key'),
      }));
      expect(line.setting).toBe('DATA_PROTECTION_CERTIFICATE');
      expect(line.msg).toContain('dp.crt');
    });

    it('with LOG_LEVEL=debug, still one error line, and the stack may appear (inside JSON)', async () => {
      const run = await runToExit({ DATABASE_URL: database, DATABASE_MIGRATIONS_RUN: 'false', LOG_LEVEL: 'debug' });
      expect(run.code).toBe(1);
      const lines = jsonLines(run);
      expect(lines.filter((line) => line.level >= 50)).toHaveLength(1);
      expect(lines.some((line) => line.err?.stack !== undefined && /\n\s+at /.test(line.err.stack))).toBe(true);
    });
  });

  it('a good start prints only JSON at LOG_LEVEL, one `listening on` line; SIGTERM finishes a request in flight, then two shutdown lines and exit 0', async () => {
    const server = startServer({ DATABASE_URL: database });
    const port = listeningPort(await server.waitFor(/listening on/));

    // A request in flight at SIGTERM: headers sent, body still to come.
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => { response += chunk; });
    const body = 'grant_type=client_credentials&client_id=m2m&client_secret=secret';
    socket.write(`POST /connect/token HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\n`
      + `Content-Length: ${body.length}\r\n\r\n`);
    await new Promise((done) => setTimeout(done, 200));
    server.kill('SIGTERM');
    await server.waitFor(/shutting down/);
    // write, not end: a half-closed socket would abort the request on Node's side.
    socket.write(body);
    await new Promise<void>((done) => {
      socket.on('data', () => { if (/\r\n\r\n[\s\S]*\}/.test(response)) done(); });
      socket.on('close', () => done());
    });
    socket.end();
    const run = await server.exited;

    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(response).toContain('"access_token"');
    expect(run.code).toBe(0);
    const lines = jsonLines(run);
    // LOG_LEVEL=info: nothing below info; no module or route noise.
    expect(lines.every((line) => line.level >= 30)).toBe(true);
    expect(lines.filter((line) => /InstanceLoader|RoutesResolver|RouterExplorer|NestFactory/.test(String(line.context)))).toEqual([]);
    const messages = lines.map((line) => line.msg);
    expect(messages.filter((msg) => msg.startsWith('listening on'))).toEqual([`listening on http://127.0.0.1:${port} (issuer derived per request)`]);
    expect(messages.slice(-2)).toEqual(['shutting down (SIGTERM): no new connections, finishing requests in flight', 'shut down']);
    // Not production: the demo set-up is the point, no demo warnings.
    expect(lines.filter((line) => line.context === 'StartupWarnings')).toEqual([]);
    expect(run.stderr).toBe('');
  }, 60_000);

  it('key ring made with another master key: starts on hold, logs the cause naming DATA_PROTECTION_MASTER_KEY once per check (not per request), answers 503 JSON, never a stack', async () => {
    const first = startServer({ DATABASE_URL: database, DATA_PROTECTION_MASTER_KEY: randomBytes(32).toString('base64') });
    await first.waitFor(/listening on/);
    first.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = startServer({ DATABASE_URL: database, DATA_PROTECTION_MASTER_KEY: randomBytes(32).toString('base64') });
    const port = listeningPort(await second.waitFor(/listening on/));
    // Several requests: the cause is logged per check (start-up, the scheduled check), never per request.
    for (let i = 0; i < 5; i++) {
      const token = await fetch(`http://127.0.0.1:${port}/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=m2m&client_secret=secret',
      });
      expect(token.status).toBe(503);
      expect(token.headers.get('retry-after')).toBe('5');
      expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });
    }
    second.kill('SIGTERM');
    const run = await second.exited;

    expect(run.code).toBe(0);
    for (const line of [...run.stdout, ...run.stderr.split('\n')]) expect(line).not.toMatch(STACK_FRAME);
    const errors = jsonLines(run).filter((line) => line.level >= 50).map((line) => line.msg);
    const ringHold = errors.filter((msg) => /key ring .* is on hold/.test(msg));
    expect(ringHold).toHaveLength(1);
    expect(ringHold[0]).toMatch(/encrypted with a different master key.*Fix: .*DATA_PROTECTION_MASTER_KEY.*docs\/deployment\.md#data-protection/);
    const signingHold = errors.filter((msg) => msg.startsWith('Signing keys on hold'));
    // The start-up check, and the first scheduled check when its jitter (at most 5 s) fell before the stop.
    expect(signingHold.length).toBeGreaterThanOrEqual(1);
    expect(signingHold.length).toBeLessThanOrEqual(2);
    expect(signingHold[0]).toMatch(/creates no signing key.*DATA_PROTECTION_MASTER_KEY/);
  }, 60_000);

  it('SIGTERM refuses new connections but serves the request of a connection accepted just before (a proxy may have sent it already)', async () => {
    const server = startServer({ DATABASE_URL: database });
    const port = listeningPort(await server.waitFor(/listening on/));

    // Connected before the signal, request not sent yet: Node's HTTP close would drop it as idle.
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((done) => socket.once('connect', () => done()));
    let response = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => { response += chunk; });
    server.kill('SIGTERM');
    await server.waitFor(/shutting down/);

    const refused = await new Promise<string>((done) => {
      const late = connect(port, '127.0.0.1');
      late.once('connect', () => { late.destroy(); done('connected'); });
      late.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    });
    expect(refused).toBe('ECONNREFUSED');

    socket.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await new Promise<void>((done) => {
      socket.on('data', () => { if (/\r\n\r\n[\s\S]*\}/.test(response)) done(); });
      socket.on('close', () => done());
    });
    socket.end();
    const run = await server.exited;

    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(run.code).toBe(0);
  }, 60_000);

  it('LOG_FORMAT=pretty prints readable lines, not JSON; SIGINT stops it', async () => {
    const server = startServer({ DATABASE_URL: database, LOG_FORMAT: 'pretty', ISSUER_URI: 'https://id.example.test' });
    const listening = await server.waitFor(/listening on/);
    server.kill('SIGINT');
    const run = await server.exited;

    expect(run.code).toBe(0);
    expect(listening).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening on http:\/\/127\.0\.0\.1:\d+ \(issuer https:\/\/id\.example\.test\)$/);
    const lines = run.stdout.filter((line) => line !== '');
    for (const line of lines) expect(() => JSON.parse(line)).toThrow();
    expect(lines).toContainEqual(expect.stringMatching(/ WARN {2}\[DataProtection\] Data-protection keys are stored unencrypted/));
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/INFO {2}shutting down \(SIGINT\)/), expect.stringMatching(/INFO {2}shut down$/),
    ]);
  }, 60_000);

  it('NODE_ENV=production with the demo configuration: one warning each for demo users, the demo secret, http:// issuer, 0.0.0.0 without a proxy', async () => {
    const server = startServer({ DATABASE_URL: database, NODE_ENV: 'production', HOST: '0.0.0.0', ISSUER_URI: 'http://id.example.test' });
    await server.waitFor(/listening on/);
    server.kill('SIGTERM');
    const run = await server.exited;

    expect(run.code).toBe(0);
    const warnings = jsonLines(run).filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/stored unencrypted.*DATA_PROTECTION_MASTER_KEY.*DATA_PROTECTION_CERTIFICATE/),
      expect.stringMatching(/config\/identity\.json \(CONFIG_FILE\) loads 2 demo user.*remove the "users" section/),
      expect.stringMatching(/demo secret "secret" to client m2m, .*replace it/),
      expect.stringMatching(/ISSUER_URI is http:\/\/id\.example\.test: .*use an https:\/\/ issuer/),
      expect.stringMatching(/HOST=0\.0\.0\.0 .*no proxy is configured.*HOST=127\.0\.0\.1.*KNOWN_PROXIES/),
    ]));
    expect(warnings).toHaveLength(5);
  }, 60_000);
});
