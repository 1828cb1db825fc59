import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The real server (`node -r @swc-node/register src/main.ts`, as an operator runs it) on a fixed
 * port, so that a load balancer's upstream keeps pointing at it across restarts. Only the given
 * settings reach it (no developer .env). Output is kept for the failure message.
 */
export class ServerProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private exit: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  readonly output: string[] = [];
  /** how many times this instance was started */
  starts = 0;

  constructor(readonly name: string, readonly port: number, private readonly settings: Readonly<Record<string, string>>) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process; `waitReady` tells when it serves. */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts += 1;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(this.port), ...this.settings },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter((line) => line !== '').map((line) => `[${this.name}#${this.starts}] ${line}`));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exit = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  /**
   * Polls the readiness endpoint until it answers 200: `/health/ready` where the server has it,
   * else `/health` (readiness there). Throws with the process output after `timeoutMs`.
   */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let readyPath = '/health/ready';
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.output.join('\n')}`);
      try {
        const response = await fetch(`${this.url}${readyPath}`, { signal: AbortSignal.timeout(5_000) });
        const body = await response.text();
        if (response.status === 200) return;
        if (response.status === 404 && readyPath === '/health/ready') readyPath = '/health';
        last = `${response.status} ${body.slice(0, 300)}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms (last: ${last}):\n${this.output.join('\n')}`);
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<ExitStatus> {
    if (!this.running) return this.exit;
    this.child?.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
