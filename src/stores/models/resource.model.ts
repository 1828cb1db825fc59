import type { SigningAlgorithm } from '../../config/app-config';
import type { SharedSecret } from './client.model';

export interface IdentityResource {
  readonly name: string;
  readonly displayName?: string;
  readonly userClaims: readonly string[];
}

export interface ApiScope {
  readonly name: string;
  readonly displayName?: string;
  readonly userClaims: readonly string[];
}

export interface ApiResource {
  readonly name: string;
  readonly displayName?: string;
  readonly scopes: readonly string[];
  readonly apiSecrets: readonly SharedSecret[];
  readonly allowedAccessTokenSigningAlgorithms: readonly SigningAlgorithm[];
}

export interface Resources {
  readonly identityResources: readonly IdentityResource[];
  readonly apiScopes: readonly ApiScope[];
  readonly apiResources: readonly ApiResource[];
}
