/*
 * The production install, as README "Production" describes it, on a copy of the working tree:
 * `npm ci && npm run build && npm prune --omit=dev`, then `npm run start:prod` and
 * `npm run -s cli -- …` with no devDependency left. Slow (npm ci builds better-sqlite3 natively).
 */
import { ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from '../support/free-port';

const ROOT = resolve(__dirname, '../..');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];
const DEV_DEPENDENCIES = ['typescript', '@swc-node/register', '@swc/core', 'jest'];

/**
 * Only what npm and the server need: nothing of the test runner's settings (NODE_ENV=test,
 * TEST_DATABASE_URL, npm_config_local_prefix when run by `npm test`) may reach the copy.
 */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
    'npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_nodedir'];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * A visible skip only when npm can reach neither the registry nor its cache: asks for the locked
 * better-sqlite3 the way `npm ci --prefer-offline` will. Any other install failure fails the test.
 */
function registryUnreachable(): string | undefined {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages['node_modules/better-sqlite3']?.version ?? 'latest';
  const probe = spawnSync('npm', ['view', `better-sqlite3@${version}`, 'version', '--prefer-offline'], {
    cwd: tmpdir(), env: baseEnv(), encoding: 'utf8', timeout: 60_000,
  });
  if (probe.error) return `npm could not run: ${probe.error.message}`;
  if (probe.status === 0) return undefined;
  const code = /\b(ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)\b/.exec(probe.stderr);
  return code ? `npm cannot reach the registry or its cache (${code[1]})` : undefined;
}

/** The working tree as it is now (tracked and untracked files, not ignored ones), copied to `to`. */
function copyWorkingTree(to: string): void {
  const listed = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0')) {
    // node_modules is a symlink in the worktrees (not matched by `node_modules/` in .gitignore);
    // deleted files are still listed by --cached.
    if (file === '' || file === 'node_modules' || file.startsWith('node_modules/') || !existsSync(join(ROOT, file))) continue;
    if (lstatSync(join(ROOT, file)).isDirectory()) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file));
  }
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cwd: string, command: string, args: readonly string[], env: Record<string, string>, timeout: number): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => done({
      code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr,
    }));
  });
}

async function npm(cwd: string, args: readonly string[]): Promise<void> {
  const result = await run(cwd, 'npm', args, baseEnv(), 15 * 60_000);
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${String(result.code)}:\n${result.stderr.slice(-4000)}`);
}

async function waitForHttp(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let refused: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`start:prod exited ${server.exitCode}:\n${output()}`);
    try {
      await fetch(url);
      return;
    } catch (error) {
      // Not listening yet: a real process's port is polled, there is no clock to fake.
      refused = error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`start:prod did not answer ${url} within 60 s (${String(refused)}):\n${output()}`);
}

const skipReason = registryUnreachable();
if (skipReason) process.stdout.write(`\n[tests] ${skipReason}: the production-install suite is skipped\n`);
const describeIfNpm = skipReason ? describe.skip : describe;

describeIfNpm(`production install (npm ci, build, prune --omit=dev)${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idsrv-prod-install-'));
    copyWorkingTree(dir);
    await npm(dir, ['ci', ...NPM_FLAGS]);
    await npm(dir, ['run', 'build']);
    await npm(dir, ['prune', '--omit=dev', ...NPM_FLAGS]);
    env = {
      ...baseEnv(),
      NODE_ENV: 'production',
      // README "Production": the key ring is encrypted at rest (else the `deployment` indicator is down in production).
      DATA_PROTECTION_MASTER_KEY: randomBytes(32).toString('base64'),
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      DATABASE_URL: `sqlite:${join(dir, 'data', 'prod.sqlite')}`,
    };
  }, 20 * 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prune, after the build, should leave no devDependency in node_modules', () => {
    for (const name of DEV_DEPENDENCIES) expect({ name, present: existsSync(join(dir, 'node_modules', name)) }).toEqual({ name, present: false });
    expect(existsSync(join(dir, 'dist', 'src', 'main.js'))).toBe(true);
  });

  it('start:prod, without devDependencies, should serve discovery and /health, then stop on SIGTERM', async () => {
    const server = spawn('npm', ['run', 'start:prod'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    server.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    server.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const base = `http://127.0.0.1:${env.PORT}`;
    const exited = new Promise<number | null>((done) => server.once('exit', (code) => done(code)));
    try {
      await waitForHttp(`${base}/health/live`, server, () => output);

      const discovery = await fetch(`${base}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(await discovery.json()).toMatchObject({ issuer: base, jwks_uri: `${base}/.well-known/openid-configuration/jwks` });
      const health = await fetch(`${base}/health`);
      expect({ status: health.status, body: await health.json() as unknown }).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      // npm runs node as a child: signal the whole group, as a service manager does.
      if (server.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), 30_000); })]);
    clearTimeout(timer);
    if (code === 'timeout' && server.pid !== undefined) process.kill(-server.pid, 'SIGKILL');
    expect(code).not.toBe('timeout');
    expect(output).not.toMatch(/tsc|swc/);
  }, 120_000);

  // Runs after start:prod above, which created the first signing key in the same database.
  it('cli, without devDependencies, should run the compiled CLI and answer keys list --json on stdout', async () => {
    const result = await run(dir, 'npm', ['run', '-s', 'cli', '--', 'keys', 'list', '--json'], env, 120_000);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const body = JSON.parse(result.stdout) as { keys: { kid: string; alg: string; phase: string }[] };
    expect(body.keys).toEqual(expect.arrayContaining([expect.objectContaining({ alg: 'RS256', phase: 'signing' })]));
  }, 120_000);

  it('cli, when dist is missing without devDependencies, should say in one line to run npm run build and exit 1', async () => {
    const moved = join(dir, 'dist-moved');
    cpSync(join(dir, 'dist'), moved, { recursive: true });
    rmSync(join(dir, 'dist'), { recursive: true });
    try {
      const result = await run(dir, 'npm', ['run', '-s', 'cli', '--', 'keys', 'list', '--json'], env, 60_000);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('run `npm run build`')]);
    } finally {
      cpSync(moved, join(dir, 'dist'), { recursive: true });
    }
  }, 60_000);
});
