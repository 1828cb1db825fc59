import type { MigrationInterface } from 'typeorm';
import { CreatePersistedGrants1795420000000 } from './1795420000000-create-persisted-grants';
import { CreateDeviceCodes1795420000001 } from './1795420000001-create-device-codes';
import { CreateServerSideSessions1795420000002 } from './1795420000002-create-server-side-sessions';
import { CreateSigningKeys1795420000100 } from './1795420000100-create-signing-keys';
import { CreateDataProtectionKeys1795420000200 } from './1795420000200-create-data-protection-keys';
import { AddPersistedGrantFamilyId1795420000300 } from './1795420000300-add-persisted-grant-family-id';
import { CreateInstances1795420000400 } from './1795420000400-create-instances';
import { CreateConfigurationStore1795420000500 } from './1795420000500-create-configuration-store';
import { CreateUserLinksAndExternalProviders1795420000600 } from './1795420000600-create-user-links-and-external-providers';
import { AddClientLogoUri1795420000700 } from './1795420000700-add-client-logo-uri';
import { AddClientRefreshTokenReuseInterval1795420000800 } from './1795420000800-add-client-refresh-token-reuse-interval';
import { DropSessionDisplayName1795420000801 } from './1795420000801-drop-session-display-name';
import { CreateAttemptCounters1795420000850 } from './1795420000850-create-attempt-counters';
import { CreateConfigurationVersion1795420000900 } from './1795420000900-create-configuration-version';

/**
 * Every schema migration, for SQLite and PostgreSQL alike (each branches on the driver where
 * the dialects differ). Add yours here; TypeORM runs them in the order of the timestamp that
 * ends each class name, so name new ones with the current time in milliseconds.
 */
export const MIGRATIONS: ReadonlyArray<new () => MigrationInterface> = [
  CreatePersistedGrants1795420000000,
  CreateDeviceCodes1795420000001,
  CreateServerSideSessions1795420000002,
  CreateSigningKeys1795420000100,
  CreateDataProtectionKeys1795420000200,
  AddPersistedGrantFamilyId1795420000300,
  CreateInstances1795420000400,
  CreateConfigurationStore1795420000500,
  CreateUserLinksAndExternalProviders1795420000600,
  AddClientLogoUri1795420000700,
  AddClientRefreshTokenReuseInterval1795420000800,
  DropSessionDisplayName1795420000801,
  CreateAttemptCounters1795420000850,
  CreateConfigurationVersion1795420000900,
];
