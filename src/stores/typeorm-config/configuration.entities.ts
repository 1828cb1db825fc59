import { EntitySchema } from 'typeorm';

/*
 * Rows of the database configuration store (schema in migrations/, docs/deployment.md,
 * "Configuration in the database"). List-valued fields are JSON text, which reads the same on
 * SQLite and PostgreSQL. Secrets are stored exactly as the file store keeps them: a shared
 * secret only as `sha256:` + base64 of its SHA-256, never the plaintext. `position` keeps the
 * order of CONFIG_FILE, so both stores return the same lists in the same order.
 */

export interface ConfigurationClientRow {
  clientId: string;
  position: number;
  clientName: string | null;
  logoUri: string | null;
  enabled: boolean;
  /** JSON: [{ type: 'SharedSecret', value: 'sha256:…', expiration? } | { type: 'JsonWebKey', value: {jwk}, expiration? }] */
  clientSecrets: string;
  requireClientSecret: boolean;
  allowedGrantTypes: string;
  allowedScopes: string;
  redirectUris: string;
  postLogoutRedirectUris: string;
  backChannelLogoutUri: string | null;
  requirePkce: boolean;
  requireConsent: boolean;
  allowOfflineAccess: boolean;
  accessTokenType: string;
  accessTokenLifetime: number;
  identityTokenLifetime: number;
  authorizationCodeLifetime: number;
  deviceCodeLifetime: number;
  refreshTokenUsage: string;
  refreshTokenReuseInterval: number;
  refreshTokenExpiration: string;
  absoluteRefreshTokenLifetime: number;
  slidingRefreshTokenLifetime: number;
  allowedTokenSigningAlgorithms: string;
  alwaysIncludeUserClaimsInIdToken: boolean;
  requirePushedAuthorization: boolean;
}

export const ConfigurationClientEntity = new EntitySchema<ConfigurationClientRow>({
  name: 'ConfigurationClient',
  tableName: 'configuration_clients',
  columns: {
    clientId: { name: 'client_id', type: 'varchar', length: 200, primary: true },
    position: { name: 'position', type: 'integer' },
    clientName: { name: 'client_name', type: 'varchar', length: 200, nullable: true },
    logoUri: { name: 'logo_uri', type: 'varchar', length: 2000, nullable: true },
    enabled: { name: 'enabled', type: Boolean },
    clientSecrets: { name: 'client_secrets', type: 'text' },
    requireClientSecret: { name: 'require_client_secret', type: Boolean },
    allowedGrantTypes: { name: 'allowed_grant_types', type: 'text' },
    allowedScopes: { name: 'allowed_scopes', type: 'text' },
    redirectUris: { name: 'redirect_uris', type: 'text' },
    postLogoutRedirectUris: { name: 'post_logout_redirect_uris', type: 'text' },
    backChannelLogoutUri: { name: 'back_channel_logout_uri', type: 'varchar', length: 2000, nullable: true },
    requirePkce: { name: 'require_pkce', type: Boolean },
    requireConsent: { name: 'require_consent', type: Boolean },
    allowOfflineAccess: { name: 'allow_offline_access', type: Boolean },
    accessTokenType: { name: 'access_token_type', type: 'varchar', length: 20 },
    accessTokenLifetime: { name: 'access_token_lifetime', type: 'integer' },
    identityTokenLifetime: { name: 'identity_token_lifetime', type: 'integer' },
    authorizationCodeLifetime: { name: 'authorization_code_lifetime', type: 'integer' },
    deviceCodeLifetime: { name: 'device_code_lifetime', type: 'integer' },
    refreshTokenUsage: { name: 'refresh_token_usage', type: 'varchar', length: 20 },
    refreshTokenReuseInterval: { name: 'refresh_token_reuse_interval', type: 'integer', default: 0 },
    refreshTokenExpiration: { name: 'refresh_token_expiration', type: 'varchar', length: 20 },
    absoluteRefreshTokenLifetime: { name: 'absolute_refresh_token_lifetime', type: 'integer' },
    slidingRefreshTokenLifetime: { name: 'sliding_refresh_token_lifetime', type: 'integer' },
    allowedTokenSigningAlgorithms: { name: 'allowed_token_signing_algorithms', type: 'text' },
    alwaysIncludeUserClaimsInIdToken: { name: 'always_include_user_claims_in_id_token', type: Boolean },
    requirePushedAuthorization: { name: 'require_pushed_authorization', type: Boolean },
  },
});

/** An identity resource or an API scope: the two tables share this shape. */
export interface ConfigurationScopeRow {
  name: string;
  position: number;
  displayName: string | null;
  userClaims: string;
}

const scopeColumns = {
  name: { name: 'name', type: 'varchar' as const, length: 200, primary: true },
  position: { name: 'position', type: 'integer' as const },
  displayName: { name: 'display_name', type: 'varchar' as const, length: 200, nullable: true },
  userClaims: { name: 'user_claims', type: 'text' as const },
};

export const ConfigurationIdentityResourceEntity = new EntitySchema<ConfigurationScopeRow>({
  name: 'ConfigurationIdentityResource',
  tableName: 'configuration_identity_resources',
  columns: scopeColumns,
});

export const ConfigurationApiScopeEntity = new EntitySchema<ConfigurationScopeRow>({
  name: 'ConfigurationApiScope',
  tableName: 'configuration_api_scopes',
  columns: scopeColumns,
});

export interface ConfigurationApiResourceRow {
  name: string;
  position: number;
  displayName: string | null;
  scopes: string;
  /** JSON: [{ type: 'SharedSecret', value: 'sha256:…', expiration? }] */
  apiSecrets: string;
  allowedAccessTokenSigningAlgorithms: string;
}

export const ConfigurationApiResourceEntity = new EntitySchema<ConfigurationApiResourceRow>({
  name: 'ConfigurationApiResource',
  tableName: 'configuration_api_resources',
  columns: {
    name: { name: 'name', type: 'varchar', length: 200, primary: true },
    position: { name: 'position', type: 'integer' },
    displayName: { name: 'display_name', type: 'varchar', length: 200, nullable: true },
    scopes: { name: 'scopes', type: 'text' },
    apiSecrets: { name: 'api_secrets', type: 'text' },
    allowedAccessTokenSigningAlgorithms: { name: 'allowed_access_token_signing_algorithms', type: 'text' },
  },
});

export interface ConfigurationExternalProviderRow {
  scheme: string;
  position: number;
  displayName: string;
  enabled: boolean;
  authority: string;
  clientId: string;
  /** the client secret protected by data protection (purpose externalProviderSecret), never plaintext; null: public client */
  clientSecret: string | null;
  scopes: string;
  /** JSON object: local claim → provider claim */
  claimMappings: string;
  autoProvision: boolean;
}

export const ConfigurationExternalProviderEntity = new EntitySchema<ConfigurationExternalProviderRow>({
  name: 'ConfigurationExternalProvider',
  tableName: 'configuration_external_providers',
  columns: {
    scheme: { name: 'scheme', type: 'varchar', length: 64, primary: true },
    position: { name: 'position', type: 'integer' },
    displayName: { name: 'display_name', type: 'varchar', length: 200 },
    enabled: { name: 'enabled', type: Boolean },
    authority: { name: 'authority', type: 'varchar', length: 2000 },
    clientId: { name: 'client_id', type: 'varchar', length: 200 },
    clientSecret: { name: 'client_secret', type: 'text', nullable: true },
    scopes: { name: 'scopes', type: 'text' },
    claimMappings: { name: 'claim_mappings', type: 'text' },
    autoProvision: { name: 'auto_provision', type: Boolean },
  },
});

export interface ConfigurationVersionRow {
  /** always 1: the table has one row */
  id: number;
  /** raised by one at each change of the tables through the admin API, the CLI or seeding */
  version: number;
  /** when `version` was last raised; null before the first change */
  changedAt: Date | null;
}

/**
 * The store's version (migration 1795420000900): servers poll it to learn of a change made by
 * another process, which needs no Redis. A row changed by hand does not raise it.
 */
export const ConfigurationVersionEntity = new EntitySchema<ConfigurationVersionRow>({
  name: 'ConfigurationVersion',
  tableName: 'configuration_version',
  columns: {
    id: { name: 'id', type: 'integer', primary: true },
    version: { name: 'version', type: 'integer' },
    changedAt: { name: 'changed_at', type: Date, nullable: true },
  },
});

/** Entities of the database configuration store, registered with TypeOrmModule.forFeature. */
export const CONFIGURATION_STORE_ENTITIES = [
  ConfigurationClientEntity, ConfigurationIdentityResourceEntity, ConfigurationApiScopeEntity, ConfigurationApiResourceEntity,
  ConfigurationExternalProviderEntity, ConfigurationVersionEntity,
];
