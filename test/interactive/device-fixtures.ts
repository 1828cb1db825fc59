import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/postgres';
import { writeJson } from '../support/test-app';

/** A scratch folder with the configuration file the device, refresh and logout suites run against. */
export interface InteractiveFixtures {
  readonly dir: string;
  readonly configFile: string;
  remove(): void;
}

const device = (clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  clientId,
  clientName: `Device ${clientId}`,
  requireClientSecret: false,
  allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
  allowedScopes: ['openid', 'profile', 'api1'],
  allowOfflineAccess: true,
  ...extra,
});

export function createInteractiveFixtures(backChannelLogoutUri = 'http://127.0.0.1:9/unused'): InteractiveFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-interactive-'));
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      device('tv'),
      device('tv.consent', { requireConsent: true }),
      device('tv.logo', { logoUri: 'https://tv.example/logo.svg' }),
      device('tv.reuse', { refreshTokenUsage: 'reuse' }),
      device('tv.grace', { refreshTokenReuseInterval: 30 }),
      device('tv.sliding', { refreshTokenExpiration: 'sliding', slidingRefreshTokenLifetime: 2, absoluteRefreshTokenLifetime: 4 }),
      device('tv.absolute', { refreshTokenExpiration: 'absolute', absoluteRefreshTokenLifetime: 2 }),
      device('tv.short', { deviceCodeLifetime: 1 }),
      device('tv.nooffline', { allowOfflineAccess: false }),
      device('tv.secret', { requireClientSecret: true, clientSecrets: [{ type: 'SharedSecret', value: 'secret' }] }),
      device('tv.bc', {
        backChannelLogoutUri,
        // expired identity tokens must still work as id_token_hint
        identityTokenLifetime: 1,
        postLogoutRedirectUris: ['https://tv.example/signed-out'],
      }),
      device('tv.bc2', { backChannelLogoutUri }),
      {
        clientId: 'm2m', clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
        allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'],
      },
    ],
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', displayName: 'User profile', userClaims: ['name'] },
    ],
    apiScopes: [{ name: 'api1', displayName: 'API 1' }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
    users: [
      { subjectId: '1', username: 'alice', password: 'alice', claims: { name: 'Alice Smith' } },
      { subjectId: '2', username: 'bob', password: 'bob', claims: { name: 'Bob Smith' } },
    ],
  });
  return { dir, configFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The fixtures and a fresh PostgreSQL database, for suites that start (and restart) their own apps on both. */
export interface PostgresInteractiveFixtures {
  /** CONFIG_FILE and DATABASE_URL */
  readonly env: Readonly<Record<string, string>>;
  remove(): Promise<void>;
}

export async function createPostgresInteractiveFixtures(): Promise<PostgresInteractiveFixtures> {
  const fixtures = createInteractiveFixtures();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  try {
    database = await createTestDatabase();
  } catch (error) {
    fixtures.remove();
    throw error;
  }
  return {
    env: { CONFIG_FILE: fixtures.configFile, DATABASE_URL: database.url },
    async remove() {
      try {
        await database.drop();
      } finally {
        fixtures.remove();
      }
    },
  };
}
