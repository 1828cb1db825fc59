import { execFile, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort, waitFor } from './free-port';

const run = promisify(execFile);

/** PostgreSQL 15 binaries (the Debian/Ubuntu layout); PRIVATE_POSTGRES_BIN overrides. */
const BIN = process.env.PRIVATE_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the test's own, in a temporary folder on a free port, for tests that
 * stop and restart the database (never the shared TEST_DATABASE_URL server). initdb refuses to
 * run as root, so as root every binary runs as the `postgres` user (runuser).
 */
export interface PrivatePostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  /** Fast shutdown (`pg_ctl stop -m fast`): open connections are terminated. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  readonly running: boolean;
  /**
   * Freezes every process of the server (SIGSTOP): connections stay open and new ones are
   * accepted by the kernel, but nothing answers, as with a hung host or a stalled disk.
   */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT). */
  thaw(): void;
  /** Stops it (if running) and removes its folder. */
  destroy(): Promise<void>;
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', command, ...args]];
  return [command, args];
}

async function exec(command: string, args: string[], timeout = 30_000): Promise<void> {
  const [file, argv] = asPostgresUser(command, args);
  try {
    await run(file, argv, { timeout });
  } catch (error) {
    const detail = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} ${args[0] ?? ''} failed: ${detail.stderr || detail.stdout || detail.message}`);
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-private-pg-'));
  if (process.getuid?.() === 0) {
    const { uid, gid } = await postgresUserIds();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  await exec(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  let frozen: number[] = [];
  const thaw = (): void => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone meanwhile
      }
    }
    frozen = [];
  };
  // A test process that dies without destroy() must not leave the server behind.
  const stopOnExit = (): void => {
    thaw();
    if (running) {
      const [file, argv] = asPostgresUser(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '10', 'stop']);
      spawnSync(file, argv, { stdio: 'ignore', timeout: 15_000 });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);

  const server: PrivatePostgres = {
    port,
    url,
    get running() { return running; },
    freeze() {
      if (!running || frozen.length > 0) return;
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      frozen = [postmaster, ...childrenOf(postmaster)];
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    },
    thaw,
    async start() {
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      await exec(join(BIN, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', 'start']);
      running = true;
      await waitFor(`PostgreSQL on port ${port}`, async () => {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      });
    },
    async stop() {
      thaw();
      if (!running) return;
      await exec(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
      running = false;
    },
    async destroy() {
      try {
        await server.stop();
      } finally {
        process.removeListener('exit', stopOnExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy().catch(() => undefined);
    throw error;
  }
  return server;
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** The processes whose parent is `pid` (PostgreSQL's backends and helpers), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(entry)] : [];
    } catch {
      return []; // ended meanwhile
    }
  });
}
