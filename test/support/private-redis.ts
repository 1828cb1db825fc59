import { spawn, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort, waitFor } from './free-port';

/**
 * A redis-server of the test's own on a free port (no persistence), for tests that stop and
 * restart Redis (never the shared TEST_REDIS_URL server). A child process: stop() ends it,
 * start() runs a fresh one on the same port (empty, as a restart without persistence is).
 */
export interface PrivateRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly running: boolean;
  stop(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as with a hung server. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Resolves once it answers PING. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const server: PrivateRedis = {
    port,
    url,
    get running() { return child !== undefined; },
    async start() {
      if (child) return;
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child = started;
      // A test process that dies without destroy() must not leave the server behind.
      const killOnExit = (): void => { started.kill('SIGKILL'); };
      process.once('exit', killOnExit);
      started.once('exit', () => {
        process.removeListener('exit', killOnExit);
        if (child === started) child = undefined;
      });
      await waitFor(`redis-server on port ${port}`, async () => {
        if (child !== started) throw new Error('redis-server exited');
        const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined); // refused while it starts: the probe just retries
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      }, 10_000, 50);
    },
    async stop() {
      const running = child;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      child = undefined;
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async destroy() {
      child?.kill('SIGCONT'); // a frozen process ignores SIGTERM until it runs again
      await server.stop();
    },
  };
  await server.start();
  return server;
}
