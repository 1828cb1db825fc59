import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../../config/app-config';
import type {
  ApiResource, ApiScope, Client, ClientSecret, ExternalProvider, IdentityResource, Resources, SharedSecret,
} from '../models';
import type {
  ConfigurationApiResourceRow, ConfigurationClientRow, ConfigurationExternalProviderRow, ConfigurationScopeRow,
} from './configuration.entities';

/** A secret as stored: a shared secret only as `sha256:` + base64 of its digest (docs/configuration-file.md). */
type StoredSecret =
  | { readonly type: 'SharedSecret'; readonly value: string; readonly expiration?: string }
  | { readonly type: 'JsonWebKey'; readonly value: JWK; readonly expiration?: string };

const SHA256_PREFIX = 'sha256:';

function storeSecret(secret: ClientSecret): StoredSecret {
  const expiration = secret.expiration ? { expiration: secret.expiration.toISOString() } : {};
  return secret.type === 'SharedSecret'
    ? { type: 'SharedSecret', value: SHA256_PREFIX + secret.sha256.toString('base64'), ...expiration }
    : { type: 'JsonWebKey', value: secret.jwk, ...expiration };
}

function readSecret(stored: StoredSecret): ClientSecret {
  const expiration = stored.expiration ? { expiration: new Date(stored.expiration) } : {};
  if (stored.type === 'JsonWebKey') return { type: 'JsonWebKey', jwk: stored.value, ...expiration };
  if (!stored.value.startsWith(SHA256_PREFIX)) {
    // Never plaintext in the tables: a row written by hand must hold the digest.
    throw new Error(`a stored shared secret must be "${SHA256_PREFIX}" + base64 of its SHA-256`);
  }
  return { type: 'SharedSecret', sha256: Buffer.from(stored.value.slice(SHA256_PREFIX.length), 'base64'), ...expiration };
}

function list<T = string>(json: string): T[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('expected a JSON list');
  return value as T[];
}

export function clientToRow(client: Client, position: number): ConfigurationClientRow {
  return {
    clientId: client.clientId,
    position,
    clientName: client.clientName ?? null,
    logoUri: client.logoUri ?? null,
    enabled: client.enabled,
    clientSecrets: JSON.stringify(client.clientSecrets.map(storeSecret)),
    requireClientSecret: client.requireClientSecret,
    allowedGrantTypes: JSON.stringify(client.allowedGrantTypes),
    allowedScopes: JSON.stringify(client.allowedScopes),
    redirectUris: JSON.stringify(client.redirectUris),
    postLogoutRedirectUris: JSON.stringify(client.postLogoutRedirectUris),
    backChannelLogoutUri: client.backChannelLogoutUri ?? null,
    requirePkce: client.requirePkce,
    requireConsent: client.requireConsent,
    allowOfflineAccess: client.allowOfflineAccess,
    accessTokenType: client.accessTokenType,
    accessTokenLifetime: client.accessTokenLifetime,
    identityTokenLifetime: client.identityTokenLifetime,
    authorizationCodeLifetime: client.authorizationCodeLifetime,
    deviceCodeLifetime: client.deviceCodeLifetime,
    refreshTokenUsage: client.refreshTokenUsage,
    refreshTokenReuseInterval: client.refreshTokenReuseInterval,
    refreshTokenExpiration: client.refreshTokenExpiration,
    absoluteRefreshTokenLifetime: client.absoluteRefreshTokenLifetime,
    slidingRefreshTokenLifetime: client.slidingRefreshTokenLifetime,
    allowedTokenSigningAlgorithms: JSON.stringify(client.allowedTokenSigningAlgorithms),
    alwaysIncludeUserClaimsInIdToken: client.alwaysIncludeUserClaimsInIdToken,
    requirePushedAuthorization: client.requirePushedAuthorization,
  };
}

export function rowToClient(row: ConfigurationClientRow): Client {
  return {
    clientId: row.clientId,
    ...(row.clientName !== null && { clientName: row.clientName }),
    ...(row.logoUri !== null && row.logoUri !== undefined && { logoUri: row.logoUri }),
    enabled: Boolean(row.enabled),
    clientSecrets: list<StoredSecret>(row.clientSecrets).map(readSecret),
    requireClientSecret: Boolean(row.requireClientSecret),
    allowedGrantTypes: list(row.allowedGrantTypes),
    allowedScopes: list(row.allowedScopes),
    redirectUris: list(row.redirectUris),
    postLogoutRedirectUris: list(row.postLogoutRedirectUris),
    ...(row.backChannelLogoutUri !== null && { backChannelLogoutUri: row.backChannelLogoutUri }),
    requirePkce: Boolean(row.requirePkce),
    requireConsent: Boolean(row.requireConsent),
    allowOfflineAccess: Boolean(row.allowOfflineAccess),
    accessTokenType: row.accessTokenType as Client['accessTokenType'],
    accessTokenLifetime: row.accessTokenLifetime,
    identityTokenLifetime: row.identityTokenLifetime,
    authorizationCodeLifetime: row.authorizationCodeLifetime,
    deviceCodeLifetime: row.deviceCodeLifetime,
    refreshTokenUsage: row.refreshTokenUsage as Client['refreshTokenUsage'],
    refreshTokenReuseInterval: row.refreshTokenReuseInterval,
    refreshTokenExpiration: row.refreshTokenExpiration as Client['refreshTokenExpiration'],
    absoluteRefreshTokenLifetime: row.absoluteRefreshTokenLifetime,
    slidingRefreshTokenLifetime: row.slidingRefreshTokenLifetime,
    allowedTokenSigningAlgorithms: list<SigningAlgorithm>(row.allowedTokenSigningAlgorithms),
    alwaysIncludeUserClaimsInIdToken: Boolean(row.alwaysIncludeUserClaimsInIdToken),
    requirePushedAuthorization: Boolean(row.requirePushedAuthorization),
  };
}

export function scopeToRow(scope: IdentityResource | ApiScope, position: number): ConfigurationScopeRow {
  return { name: scope.name, position, displayName: scope.displayName ?? null, userClaims: JSON.stringify(scope.userClaims) };
}

export function rowToScope(row: ConfigurationScopeRow): IdentityResource & ApiScope {
  return {
    name: row.name,
    ...(row.displayName !== null && { displayName: row.displayName }),
    userClaims: list(row.userClaims),
  };
}

export function apiResourceToRow(resource: ApiResource, position: number): ConfigurationApiResourceRow {
  return {
    name: resource.name,
    position,
    displayName: resource.displayName ?? null,
    scopes: JSON.stringify(resource.scopes),
    apiSecrets: JSON.stringify(resource.apiSecrets.map(storeSecret)),
    allowedAccessTokenSigningAlgorithms: JSON.stringify(resource.allowedAccessTokenSigningAlgorithms),
  };
}

export function rowToApiResource(row: ConfigurationApiResourceRow): ApiResource {
  return {
    name: row.name,
    ...(row.displayName !== null && { displayName: row.displayName }),
    scopes: list(row.scopes),
    apiSecrets: list<StoredSecret>(row.apiSecrets).map(readSecret).filter((s): s is SharedSecret => s.type === 'SharedSecret'),
    allowedAccessTokenSigningAlgorithms: list<SigningAlgorithm>(row.allowedAccessTokenSigningAlgorithms),
  };
}

/**
 * An external provider as a row. Its client secret must already be protected (see
 * ExternalProviderSecret): a plaintext secret never reaches the tables.
 */
export function externalProviderToRow(provider: ExternalProvider, position: number): ConfigurationExternalProviderRow {
  if (provider.clientSecret && !('protected' in provider.clientSecret)) {
    throw new Error(`external provider "${provider.scheme}": its client secret must be protected before it is stored`);
  }
  return {
    scheme: provider.scheme,
    position,
    displayName: provider.displayName,
    enabled: provider.enabled,
    authority: provider.authority,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret?.protected ?? null,
    scopes: JSON.stringify(provider.scopes),
    claimMappings: JSON.stringify(provider.claimMappings),
    autoProvision: provider.autoProvision,
  };
}

export function rowToExternalProvider(row: ConfigurationExternalProviderRow): ExternalProvider {
  const mappings: unknown = JSON.parse(row.claimMappings);
  if (mappings === null || typeof mappings !== 'object' || Array.isArray(mappings)) throw new Error('expected a JSON object of claim mappings');
  return {
    scheme: row.scheme,
    displayName: row.displayName,
    enabled: Boolean(row.enabled),
    authority: row.authority,
    clientId: row.clientId,
    ...(row.clientSecret !== null && { clientSecret: { protected: row.clientSecret } }),
    scopes: list(row.scopes),
    claimMappings: mappings as Record<string, string>,
    autoProvision: Boolean(row.autoProvision),
  };
}

/** Everything the configuration store holds, as the file store's models. */
export interface ConfigurationSnapshot {
  readonly clients: readonly Client[];
  readonly resources: Resources;
  /** provider secrets as stored: protected */
  readonly externalProviders: readonly ExternalProvider[];
}
