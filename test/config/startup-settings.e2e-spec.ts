import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The `msg` of the error lines (level 50) of the JSON log on stdout. */
function errorMessages(exit: Exit): string[] {
  return exit.stdout.split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level >= 50)
    .map((line) => line.msg);
}

/** Runs the real entry point (src/main.ts, as `npm start` does after the build) in `cwd`. */
function startServer(cwd: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((done) => {
    execFile(process.execPath, ['-r', require.resolve('@swc-node/register'), join(ROOT, 'src/main.ts')], {
      cwd,
      // Only what node needs: nothing from the test runner's environment leaks into the settings.
      env: { PATH: process.env.PATH ?? '', SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env },
      timeout: 60_000,
    }, (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
}

/** docs/deployment.md: invalid settings stop start-up with a message naming the variable; `.env` is read. */
describe('settings at start-up (src/main.ts)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'idsrv-startup-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start, when environment values are invalid, should exit 1 naming each variable and the problem', async () => {
    const exit = await startServer(dir, { PORT: 'http', KEY_MANAGEMENT_ROTATION_INTERVAL: 'forever' });
    expect(exit.code).toBe(1);
    const [message, ...more] = errorMessages(exit);
    expect(more).toEqual([]);
    expect(message).toContain('PORT: expected a whole number from 0 to 65535, got "http"');
    expect(message).toContain('KEY_MANAGEMENT_ROTATION_INTERVAL: expected a duration');
    expect(exit.stdout + exit.stderr).not.toMatch(/\bat .+\.(ts|js):\d+/);
  }, 60_000);

  it('start, when .env in the working folder holds an invalid value, should read it and name the variable', async () => {
    writeFileSync(join(dir, '.env'), 'KNOWN_NETWORKS=10.0.0.0/33\n');
    const exit = await startServer(dir, {});
    expect(exit.code).toBe(1);
    expect(errorMessages(exit)).toEqual([expect.stringContaining('KNOWN_NETWORKS: "10.0.0.0/33" is not a CIDR range')]);
  }, 60_000);
});
