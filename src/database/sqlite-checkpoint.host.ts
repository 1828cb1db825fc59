import { Injectable, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { SqliteCheckpointer, type SqlitePragmaConnection } from './sqlite-checkpointer';
import { SQLITE_BUSY_TIMEOUT_MS } from './data-source-options';

/**
 * Runs SqliteCheckpointer for the server's SQLite file (not for `sqlite::memory:`, which has no
 * write-ahead log, nor PostgreSQL), and only in an application that serves HTTP: a CLI command has
 * no requests to keep waiting, and would only pay for starting the worker. It stops before the
 * DataSource closes, whose own close then checkpoints what is left.
 */
@Injectable()
export class SqliteCheckpointHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private checkpointer?: SqliteCheckpointer;

  constructor(private readonly dataSource: DataSource, @Optional() private readonly http?: HttpAdapterHost) {}

  async onApplicationBootstrap(): Promise<void> {
    const { options } = this.dataSource;
    if (!this.http?.httpAdapter) return;
    if (options.type !== 'better-sqlite3' || options.database === ':memory:' || options.readonly) return;
    const connection = (this.dataSource.driver as unknown as { databaseConnection: SqlitePragmaConnection }).databaseConnection;
    this.checkpointer = await SqliteCheckpointer.start(options.database, connection, SQLITE_BUSY_TIMEOUT_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
  }
}
