import type { Repository } from 'typeorm';
import { isKeyMaterialEncryption, type StoredDataProtectionKey } from './data-protection-key';
import { DataProtectionKeyStore } from './data-protection-key.store';
import type { DataProtectionKeyRow } from './data-protection-key.entity';
import { withLockFile } from '../common/lock-file';
import { ProcessMutex } from '../common/process-mutex';
import { withAdvisoryLock } from '../database/advisory-lock';

/** The key ring in the application's database (`data_protection_keys`), shared by every instance using it. */
export class TypeOrmDataProtectionKeyStore extends DataProtectionKeyStore {
  private readonly mutex = new ProcessMutex();

  constructor(private readonly repository: Repository<DataProtectionKeyRow>, private readonly applicationName: string) {
    super();
  }

  get location(): string {
    return `database (${this.repository.manager.connection.options.type})`;
  }

  get ephemeral(): boolean {
    const { type, database } = this.repository.manager.connection.options;
    return type !== 'postgres' && String(database ?? ':memory:') === ':memory:';
  }

  async applicationNames(): Promise<string[]> {
    const rows = await this.repository.createQueryBuilder('key')
      .select('DISTINCT key.applicationName', 'name').getRawMany<{ name: string }>();
    return rows.map((r) => r.name).sort();
  }

  async loadAll(): Promise<StoredDataProtectionKey[]> {
    const rows = await this.repository.find({ where: { applicationName: this.applicationName }, order: { creationDate: 'ASC' } });
    return rows.map(toKey);
  }

  async add(key: StoredDataProtectionKey): Promise<void> {
    await this.repository.insert({
      id: key.id,
      applicationName: this.applicationName,
      creationDate: key.creationDate,
      activationDate: key.activationDate,
      expirationDate: key.expirationDate,
      revoked: key.revoked,
      encryption: key.encryption,
      keyMaterial: key.keyMaterial,
    });
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.repository.update({ id, applicationName: this.applicationName }, { revoked: true });
    return (result.affected ?? 0) > 0;
  }

  async withCreationLock<T>(work: () => Promise<T>): Promise<T> {
    const dataSource = this.repository.manager.connection;
    if (dataSource.options.type !== 'postgres') {
      // SQLite: a process mutex, plus a lock file beside a file database for other processes
      // sharing it (a transaction would also capture unrelated writes on the one connection).
      const database = String(dataSource.options.database ?? ':memory:');
      if (database === ':memory:') return this.mutex.run(work);
      return this.mutex.run(() => withLockFile(`${database}.data-protection.lock`, work));
    }
    // PostgreSQL: a session advisory lock per application name, held on one dedicated connection
    // while the ring is re-read and the key inserted through the pool (committed before unlock).
    return withAdvisoryLock(dataSource, 'hashtext($1)', `data-protection-key-ring:${this.applicationName}`, work);
  }
}

function toKey(row: DataProtectionKeyRow): StoredDataProtectionKey {
  const { encryption } = row;
  if (!isKeyMaterialEncryption(encryption)) throw new Error(`data_protection_keys row ${row.id}: unknown encryption "${row.encryption}"`);
  return {
    id: row.id,
    creationDate: new Date(row.creationDate),
    activationDate: new Date(row.activationDate),
    expirationDate: new Date(row.expirationDate),
    revoked: Boolean(row.revoked),
    encryption,
    keyMaterial: row.keyMaterial,
  };
}
