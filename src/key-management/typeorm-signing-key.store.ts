import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type Repository } from 'typeorm';
import type { SerializedSigningKey } from '../stores/models';
import { ProcessMutex } from '../common/process-mutex';
import { withAdvisoryLock } from '../database/advisory-lock';
import { SigningKeyStore } from '../stores/signing-key.store';
import { SigningKeyEntity, type SigningKeyRow } from './signing-key.entity';

/** Advisory-lock id of signing-key creation: an arbitrary constant every instance and version agrees on. */
export const SIGNING_KEY_ADVISORY_LOCK_ID = '-3325658223349914925';

const PROCESS_MUTEXES = new WeakMap<DataSource, ProcessMutex>();

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
   * In-process mutex per DataSource first (SQLite has a single writer, and its one connection is
   * shared by the whole process, so that mutex is its lock), then PostgreSQL's session advisory
   * lock between processes: instances started together on an empty database queue there, and
   * each re-reads the store inside, so exactly one creates each key.
   */
  withExclusiveLock<T>(work: () => Promise<T>): Promise<T> {
    let mutex = PROCESS_MUTEXES.get(this.dataSource);
    if (!mutex) PROCESS_MUTEXES.set(this.dataSource, mutex = new ProcessMutex());
    return mutex.run(() => (this.dataSource.options.type === 'postgres'
      ? withAdvisoryLock(this.dataSource, '$1::bigint', SIGNING_KEY_ADVISORY_LOCK_ID, work)
      : work()));
  }
}
