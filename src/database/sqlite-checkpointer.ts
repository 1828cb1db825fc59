import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';

/**
 * How soon the worker checkpoints again after a checkpoint that found new commits. The `-wal`
 * file starts over from its beginning only when a commit finds every frame in it already copied;
 * under a steady stream of writes (a cleanup of a million grants with requests in between) that
 * moment came rarely at 100 ms, the file kept growing, and requests that write slowed down
 * (bench/scale.mjs, SQLite refresh p99 during the cleanup: 1.7 times the empty server's with a
 * checkpoint every second, 1.3 every 100 ms, 1.1 every 10 ms; README, "1M persisted grants").
 */
export const SQLITE_CHECKPOINT_EVERY_MS = 10;
/** The longest wait between two checkpoints while nothing is written: the wait doubles up to it. */
export const SQLITE_CHECKPOINT_IDLE_MS = 200;
/** SQLite's own default: the page count at which a commit checkpoints on the committing connection. */
export const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/** The part of a better-sqlite3 Database the checkpointer uses. */
export interface SqlitePragmaConnection {
  pragma(source: string): unknown;
}

/**
 * The worker's code, run with `eval` so that it is the same from src/ (tests) and dist/. It opens
 * its own connection to the file and runs a PASSIVE checkpoint, which never waits for, nor
 * blocks, the server's readers and writer: again after `every` ms while commits keep coming (the
 * `-wal` file's frame count, `log`, moved since the previous one), and otherwise after a wait
 * that doubles up to `idle` ms, so an idle server's worker wakes a few times a second. It posts
 * 'ready' once the file is open (a large -wal left by a previous run is then copied without
 * holding up start-up), and exits on any error (the main thread then takes the checkpoints back).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: workerData.timeout });
let wait = workerData.every;
let lastLog = -1;
let timer;
const checkpoint = () => {
  const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
  wait = log === lastLog ? Math.min(workerData.idle, wait * 2) : workerData.every;
  lastLog = log;
  timer = setTimeout(checkpoint, wait);
};
timer = setTimeout(checkpoint, wait);
parentPort.postMessage('ready');
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's checkpoints off the event loop. In WAL mode every commit appends the pages it
 * changed to the -wal file, and by default the commit that takes that file past 1000 pages copies
 * them all back into the database file and fsyncs it, synchronously, on the connection that
 * committed: with better-sqlite3 that is the event loop, and often a request's own commit. A
 * cleanup batch changes a few hundred scattered index pages, so those checkpoints came every few
 * batches and held the event loop for tens of milliseconds each (bench/scale.mjs). Here a worker
 * thread with its own connection does them, and the server's connection stops checkpointing while
 * that worker runs; if the worker fails, the server's connection checkpoints again as SQLite does
 * by default.
 */
export class SqliteCheckpointer {
  private readonly logger = new Logger('Database');
  private stopping = false;

  private constructor(private readonly worker: Worker, private readonly connection: SqlitePragmaConnection) {}

  /**
   * Starts the worker on `file`, the database `connection` has open. Resolves once the worker
   * has opened it and `connection` no longer checkpoints; undefined (the default checkpoints
   * kept, one warning) when the worker cannot start.
   */
  static async start(
    file: string,
    connection: SqlitePragmaConnection,
    busyTimeoutMs: number,
    everyMs = SQLITE_CHECKPOINT_EVERY_MS,
    idleMs = SQLITE_CHECKPOINT_IDLE_MS,
  ): Promise<SqliteCheckpointer | undefined> {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file, timeout: busyTimeoutMs, every: everyMs, idle: idleMs },
    });
    // A CLI command or a test that forgets to stop it must still be able to exit.
    worker.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`checkpoint worker exited with code ${code}`)));
      });
    } catch (error: unknown) {
      void worker.terminate();
      new Logger('Database').warn(`SQLite checkpoints stay on the server's connection (${describe(error)}): large deletes and many writes will hold requests longer`);
      return undefined;
    }
    worker.removeAllListeners();
    const checkpointer = new SqliteCheckpointer(worker, connection);
    worker.on('error', (error) => checkpointer.takeBack(error));
    worker.on('exit', (code) => checkpointer.takeBack(new Error(`checkpoint worker exited with code ${code}`)));
    connection.pragma('wal_autocheckpoint = 0');
    return checkpointer;
  }

  /** Stops the worker; the connection checkpoints by itself again (and on close). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.restoreAutocheckpoint();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would not keep the process alive until it has exited: a CLI
    // command awaiting this would end there, with exit code 0 whatever it had to report.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }

  private takeBack(error: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    this.restoreAutocheckpoint();
    this.logger.warn(`SQLite checkpoint worker stopped (${describe(error)}); the server's connection checkpoints again`);
  }

  private restoreAutocheckpoint(): void {
    try {
      this.connection.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // The connection is already closed: nothing left to checkpoint on it.
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
