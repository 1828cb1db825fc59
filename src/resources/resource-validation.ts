import type { ApiResource, ApiScope, Client, IdentityResource } from '../stores/models';
import { GRANT_TYPES } from '../stores/models';
import { InvalidScopeError, InvalidTargetError, type ProtocolError } from '../protocol/protocol-errors';
import type { ResourceIndex } from './resource-catalog';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';

export interface ResourceRequest {
  readonly client: Client;
  /** the raw `scope` parameter, when sent */
  readonly scope?: string;
  /** the RFC 8707 `resource` parameter, when sent */
  readonly resource?: string;
  /** identity scopes (openid, profile…) make sense only for user grants */
  readonly allowIdentityScopes: boolean;
  /** offline_access makes sense only where refresh tokens can be issued */
  readonly allowOfflineAccess: boolean;
}

export interface ValidatedResources {
  /** granted scope names, in request order */
  readonly scopes: readonly string[];
  readonly identityResources: readonly IdentityResource[];
  readonly apiScopes: readonly ApiScope[];
  /** the token's audiences */
  readonly apiResources: readonly ApiResource[];
  readonly offlineAccess: boolean;
}

export type ResourceValidationResult =
  | { readonly valid: true; readonly resources: ValidatedResources }
  | { readonly valid: false; readonly error: 'invalid_scope' | 'invalid_target'; readonly description: string };

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function fail(error: 'invalid_scope' | 'invalid_target', description: string): ResourceValidationResult {
  return { valid: false, error, description };
}

/**
 * Decides which scopes and audiences a request gets (pure). Checks, in order: scope syntax;
 * each scope allowed for the client and defined; identity scopes and offline_access only where
 * the grant permits; then the RFC 8707 resource narrowing the audience.
 * Without `scope`, the client gets all its allowed API scopes (Duende's client_credentials rule).
 */
export function validateResources(index: ResourceIndex, request: ResourceRequest): ResourceValidationResult {
  const { client } = request;
  let requested: string[];
  if (request.scope === undefined) {
    requested = client.allowedScopes.filter((name) => index.apiScopes.has(name));
    if (requested.length === 0) return fail('invalid_scope', 'no scope requested and the client has no API scopes');
  } else {
    requested = [...new Set(request.scope.split(' ').filter((s) => s !== ''))];
    if (requested.length === 0) return fail('invalid_scope', 'scope is empty');
    const malformed = requested.find((s) => !SCOPE_TOKEN.test(s));
    if (malformed !== undefined) return fail('invalid_scope', 'scope contains invalid characters');
  }

  const identityResources: IdentityResource[] = [];
  const apiScopes: ApiScope[] = [];
  let offlineAccess = false;
  for (const name of requested) {
    if (name === OFFLINE_ACCESS_SCOPE) {
      // docs/configuration-file.md: offline_access needs allowOfflineAccess and the refresh_token grant, not allowedScopes.
      if (!request.allowOfflineAccess || !client.allowOfflineAccess || !client.allowedGrantTypes.includes(GRANT_TYPES.refreshToken)) {
        return fail('invalid_scope', `scope "${name}" is not allowed`);
      }
      offlineAccess = true;
      continue;
    }
    if (!client.allowedScopes.includes(name)) return fail('invalid_scope', `scope "${name}" is not allowed for this client`);
    const identity = index.identityResources.get(name);
    if (identity) {
      if (!request.allowIdentityScopes) return fail('invalid_scope', `identity scope "${name}" is not allowed for this grant`);
      identityResources.push(identity);
      continue;
    }
    const apiScope = index.apiScopes.get(name);
    if (!apiScope) return fail('invalid_scope', `scope "${name}" is not defined`);
    apiScopes.push(apiScope);
  }

  let apiResources = audiencesOf(index, apiScopes);
  let grantedApiScopes = apiScopes;
  if (request.resource !== undefined) {
    // RFC 8707 §2: an absolute URI without fragment naming an API resource the scopes belong to.
    if (!isAbsoluteUriWithoutFragment(request.resource)) return fail('invalid_target', 'resource must be an absolute URI without a fragment');
    const target = apiResources.find((api) => api.name === request.resource);
    if (!target) return fail('invalid_target', 'resource is not a known API resource for the requested scopes');
    apiResources = [target];
    grantedApiScopes = apiScopes.filter((scope) => target.scopes.includes(scope.name));
  }

  const grantedNames = new Set(grantedApiScopes.map((s) => s.name));
  const scopes = requested.filter((name) => grantedNames.has(name) || index.identityResources.has(name) || name === OFFLINE_ACCESS_SCOPE);
  return {
    valid: true,
    resources: { scopes, identityResources, apiScopes: grantedApiScopes, apiResources, offlineAccess },
  };
}

/** The API resources whose scopes were granted, each once, in definition order. */
function audiencesOf(index: ResourceIndex, apiScopes: readonly ApiScope[]): ApiResource[] {
  const result: ApiResource[] = [];
  for (const scope of apiScopes) {
    for (const api of index.apiResourcesByScope.get(scope.name) ?? []) if (!result.includes(api)) result.push(api);
  }
  return result;
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  if (value.includes('#')) return false;
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value);
}

/** The protocol error for a failed validation result. */
export function resourceValidationError(result: { readonly error: 'invalid_scope' | 'invalid_target'; readonly description: string }): ProtocolError {
  return result.error === 'invalid_target' ? new InvalidTargetError(result.description) : new InvalidScopeError(result.description);
}
