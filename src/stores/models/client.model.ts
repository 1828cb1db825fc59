import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../../config/app-config';

/** A shared secret kept only as its SHA-256 (plaintext is hashed at load). */
export interface SharedSecret {
  readonly type: 'SharedSecret';
  readonly sha256: Buffer;
  readonly expiration?: Date;
}

export interface JsonWebKeySecret {
  readonly type: 'JsonWebKey';
  readonly jwk: JWK;
  readonly expiration?: Date;
}

export type ClientSecret = SharedSecret | JsonWebKeySecret;

export const GRANT_TYPES = {
  clientCredentials: 'client_credentials',
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  deviceCode: 'urn:ietf:params:oauth:grant-type:device_code',
} as const;

/** Duende IdentityServer's Client model, the fields docs/configuration-file.md names, defaults applied. */
export interface Client {
  readonly clientId: string;
  readonly clientName?: string;
  /** the client's logo on the login, consent and device pages (an http(s) URL) */
  readonly logoUri?: string;
  readonly enabled: boolean;
  readonly clientSecrets: readonly ClientSecret[];
  readonly requireClientSecret: boolean;
  readonly allowedGrantTypes: readonly string[];
  readonly allowedScopes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly backChannelLogoutUri?: string;
  readonly requirePkce: boolean;
  readonly requireConsent: boolean;
  readonly allowOfflineAccess: boolean;
  readonly accessTokenType: 'jwt' | 'reference';
  readonly accessTokenLifetime: number;
  readonly identityTokenLifetime: number;
  readonly authorizationCodeLifetime: number;
  readonly deviceCodeLifetime: number;
  readonly refreshTokenUsage: 'oneTime' | 'reuse';
  /**
   * oneTime: seconds after a rotation within which the rotated token, presented again, answers with
   * the same successor instead of revoking the family (parallel refreshes of one app); 0: never.
   */
  readonly refreshTokenReuseInterval: number;
  readonly refreshTokenExpiration: 'absolute' | 'sliding';
  readonly absoluteRefreshTokenLifetime: number;
  readonly slidingRefreshTokenLifetime: number;
  readonly allowedTokenSigningAlgorithms: readonly SigningAlgorithm[];
  readonly alwaysIncludeUserClaimsInIdToken: boolean;
  readonly requirePushedAuthorization: boolean;
}
