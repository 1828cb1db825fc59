import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { SerializedSigningKey } from '../stores/models';
import { SigningKeyStore } from '../stores/signing-key.store';
import { SigningKeyEntity, type SigningKeyRow } from './signing-key.entity';

/** Advisory-lock id of signing-key creation: an arbitrary constant every instance and version agrees on. */
export const SIGNING_KEY_ADVISORY_LOCK_ID = '-3325658223349914925';

const LOCK_QUEUES = new WeakMap<DataSource, Promise<unknown>>();

/** Managed signing keys in the `signing_keys` table (SQLite or PostgreSQL). */
@Injectable()
export class TypeOrmSigningKeyStore extends SigningKeyStore {
  private readonly keys: Repository<SigningKeyRow>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
    this.keys = dataSource.getRepository(SigningKeyEntity);
  }

  async loadKeys(): Promise<readonly SerializedSigningKey[]> {
    const rows = await this.keys.find({ order: { created: 'ASC' } });
    return rows.map((row) => ({
      id: row.id,
      version: row.version,
      created: row.created,
      algorithm: row.algorithm,
      isX509Certificate: Boolean(row.isX509Certificate),
      dataProtected: Boolean(row.dataProtected),
      data: row.data,
    }));
  }

  async storeKey(key: SerializedSigningKey): Promise<void> {
    await this.keys.save({ ...key });
  }

  async deleteKey(id: string): Promise<void> {
    await this.keys.delete({ id });
  }

  /**
   * In-process queue per DataSource first (SQLite has a single writer, and its one connection is
   * shared by the whole process, so that queue is its lock), then PostgreSQL's advisory lock
   * between processes.
   */
  withExclusiveLock<T>(work: () => Promise<T>): Promise<T> {
    const previous = LOCK_QUEUES.get(this.dataSource) ?? Promise.resolve();
    const run = previous.then(() => (this.dataSource.options.type === 'postgres' ? this.withAdvisoryLock(work) : work()));
    LOCK_QUEUES.set(this.dataSource, run.catch(() => undefined));
    return run;
  }

  /**
   * PostgreSQL session advisory lock held on one dedicated connection for the whole critical
   * section: instances started together on an empty database queue here, and each re-reads the
   * store inside, so exactly one creates each key.
   */
  private async withAdvisoryLock<T>(work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1::bigint)', [SIGNING_KEY_ADVISORY_LOCK_ID]);
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1::bigint)', [SIGNING_KEY_ADVISORY_LOCK_ID]);
      }
    } finally {
      await runner.release();
    }
  }
}
