import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { DataProtectionKeyStore } from '../../data-protection/data-protection-key.store';
import { databaseDialect, sqliteFileOf } from '../../database/data-source-options';
import { DeploymentCheck, type DoctorFinding } from '../deployment-check';
import { errorInProduction } from './severity';

export const DATA_PROTECTION_KEYS_EPHEMERAL = 'data-protection-keys-ephemeral';

/** The key ring is in the database and DATABASE_URL is an in-memory SQLite database (what the CLI can tell without opening it). */
export function inMemoryDatabaseKeyRing(config: AppConfig): boolean {
  return config.dataProtection.keyStore === 'database' && databaseDialect(config.database.url) === 'sqlite'
    && sqliteFileOf(config.database.url) === undefined;
}

export function ephemeralKeyRingFinding(config: AppConfig, location: string): DoctorFinding {
  const inMemoryDatabase = inMemoryDatabaseKeyRing(config);
  return {
    id: DATA_PROTECTION_KEYS_EPHEMERAL,
    severity: errorInProduction(config),
    message: `The data-protection key ring lives in ${inMemoryDatabase ? 'an in-memory database (DATABASE_URL=sqlite::memory:)' : location}, `
      + 'which a restart empties: every session, grant, cookie and data-protected signing key made before it becomes unreadable, '
      + 'and no other instance can read this one\'s payloads.',
    fix: inMemoryDatabase
      ? 'Set DATABASE_URL to a SQLite file or PostgreSQL, or DATA_PROTECTION_KEY_STORE to file or redis (docs/deployment.md#data-protection).'
      : 'Bind a persistent DataProtectionKeyStore or set DATA_PROTECTION_KEY_STORE to database, file or redis (docs/deployment.md#data-protection).',
  };
}

/** Data-protection keys not persisted, or persisted where a restart loses them (DataProtectionKeyStore.ephemeral). */
@Injectable()
export class DataProtectionPersistenceCheck extends DeploymentCheck {
  readonly name = 'data-protection persistence';

  constructor(private readonly store: DataProtectionKeyStore, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    super();
  }

  async run(): Promise<readonly DoctorFinding[]> {
    return this.store.ephemeral ? [ephemeralKeyRingFinding(this.config, this.store.location)] : [];
  }
}
