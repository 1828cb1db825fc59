import type { ResourceIndex } from '../resources/resource-catalog';
import { validateResources, type ResourceValidationResult, type ValidatedResources } from '../resources/resource-validation';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import type { ApiResource, Client } from '../stores/models';
import type { AccessTokenClaims, ActorClaim } from '../token-issuance/access-token-claims';

/** RFC 8693 §2.1 grant type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: the only token type this server accepts and issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ExchangeFailure {
  readonly valid: false;
  readonly error: 'invalid_request' | 'invalid_scope' | 'invalid_target';
  readonly description: string;
}

/** The parameters of a syntactically valid exchange request. */
export interface ExchangeParameters {
  readonly subjectToken: string;
  readonly actorToken?: string;
  readonly scope?: string;
  /** `resource` and `audience`, each when sent: the services the new token is for */
  readonly targets: readonly string[];
}

export type ExchangeParametersResult = { readonly valid: true; readonly parameters: ExchangeParameters } | ExchangeFailure;
export type ExchangeResourcesResult = { readonly valid: true; readonly resources: ValidatedResources } | ExchangeFailure;

const fail = (error: ExchangeFailure['error'], description: string): ExchangeFailure => ({ valid: false, error, description });

/** Values echoed into error descriptions are cut short (they come from the caller). */
const shown = (value: string): string => value.slice(0, 100);

/**
 * RFC 8693 §2.1 request parameters, checked in order: subject_token and its type; actor_token and
 * actor_token_type together; requested_token_type; the `resource` URI syntax. Only access tokens
 * of this server are exchanged and issued.
 */
export function readExchangeParameters(params: Readonly<Record<string, string>>): ExchangeParametersResult {
  const subjectToken = params.subject_token;
  if (subjectToken === undefined || subjectToken === '') return fail('invalid_request', 'subject_token is missing');
  const subjectType = params.subject_token_type;
  if (subjectType === undefined) return fail('invalid_request', 'subject_token_type is missing');
  if (subjectType !== ACCESS_TOKEN_TYPE) {
    return fail('invalid_request', `subject_token_type "${shown(subjectType)}" is not supported; only ${ACCESS_TOKEN_TYPE}`);
  }

  const actorToken = params.actor_token;
  const actorType = params.actor_token_type;
  // RFC 8693 §2.1: actor_token_type is "REQUIRED when the actor_token parameter is present in the
  // request but MUST NOT be included otherwise".
  if (actorToken !== undefined && actorType === undefined) return fail('invalid_request', 'actor_token_type is missing');
  if (actorToken === undefined && actorType !== undefined) return fail('invalid_request', 'actor_token_type is sent without actor_token');
  if (actorType !== undefined && actorType !== ACCESS_TOKEN_TYPE) {
    return fail('invalid_request', `actor_token_type "${shown(actorType)}" is not supported; only ${ACCESS_TOKEN_TYPE}`);
  }
  if (actorToken === '') return fail('invalid_request', 'actor_token is empty');

  const requestedType = params.requested_token_type;
  if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
    return fail('invalid_request', `requested_token_type "${shown(requestedType)}" is not supported; only ${ACCESS_TOKEN_TYPE}`);
  }

  // RFC 8693 §2.1 (as RFC 8707 §2): resource "MUST be an absolute URI … MUST NOT include a fragment".
  const resource = params.resource;
  if (resource !== undefined && !isAbsoluteUriWithoutFragment(resource)) {
    return fail('invalid_target', 'resource must be an absolute URI without a fragment');
  }
  const targets = [resource, params.audience].filter((target): target is string => target !== undefined);
  return { valid: true, parameters: { subjectToken, actorToken, scope: params.scope, targets } };
}

function isAbsoluteUriWithoutFragment(value: string): boolean {
  return !value.includes('#') && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value);
}

/**
 * Whether validated claims have the shape docs/endpoints.md requires of a presented access token (`iss`,
 * `client_id`, a string `scope`, `jti`, `iat`, `exp`; `sub` and `act` well-typed when present).
 * The validator checks signature, issuer and lifetime but casts the payload.
 */
export function hasAccessTokenShape(claims: AccessTokenClaims): boolean {
  const unknownClaims: Readonly<Record<string, unknown>> = claims;
  const { act } = unknownClaims;
  return typeof claims.iss === 'string'
    && typeof claims.client_id === 'string'
    && typeof claims.scope === 'string'
    && typeof claims.jti === 'string'
    && typeof claims.iat === 'number'
    && typeof claims.exp === 'number'
    && (claims.sub === undefined || typeof claims.sub === 'string')
    && (act === undefined || (typeof act === 'object' && act !== null && !Array.isArray(act)));
}

export interface ExchangeScopeRequest {
  readonly client: Client;
  readonly subject: AccessTokenClaims;
  /** the raw `scope` parameter, when sent */
  readonly scope?: string;
}

/**
 * The scopes of the new token (RFC 8693 §2.1 `scope`): only a subset of the subject token's, and
 * only those the exchanging client may request. Without `scope`, every subject scope the client
 * may request. offline_access never: token exchange issues no refresh token.
 */
export function grantExchangeScopes(index: ResourceIndex, request: ExchangeScopeRequest): ResourceValidationResult {
  const { client, subject } = request;
  const held = subject.scope.split(' ').filter((name) => name !== '');
  let scope: string;
  if (request.scope === undefined) {
    const kept = held.filter((name) => name !== OFFLINE_ACCESS_SCOPE && client.allowedScopes.includes(name));
    if (kept.length === 0) return { valid: false, error: 'invalid_scope', description: 'the client may request none of the subject token\'s scopes' };
    scope = kept.join(' ');
  } else {
    const requested = request.scope.split(' ').filter((name) => name !== '');
    if (requested.some((name) => !held.includes(name))) {
      return { valid: false, error: 'invalid_scope', description: 'scope may only narrow the subject token\'s scopes' };
    }
    scope = request.scope;
  }
  return validateResources(index, {
    client,
    scope,
    // identity scopes only travel with a user: a machine token has none to pass on
    allowIdentityScopes: subject.sub !== undefined,
    allowOfflineAccess: false,
  });
}

/**
 * RFC 8693 §2.1 `resource`/`audience` narrowing: each target must be one of the API resources the
 * granted scopes allow; the token is then for those targets only, with only their scopes.
 */
export function narrowToTargets(resources: ValidatedResources, targets: readonly string[]): ExchangeResourcesResult {
  if (targets.length === 0) return { valid: true, resources };
  const apiResources: ApiResource[] = [];
  for (const target of targets) {
    const api = resources.apiResources.find((candidate) => candidate.name === target);
    // RFC 8693 §2.2.2: "unwilling or unable to issue a token for any target service … invalid_target"
    if (!api) return fail('invalid_target', 'the requested resource or audience is not allowed by the granted scopes');
    if (!apiResources.includes(api)) apiResources.push(api);
  }
  const apiScopes = resources.apiScopes.filter((scope) => apiResources.some((api) => api.scopes.includes(scope.name)));
  const kept = new Set([...resources.identityResources, ...apiScopes].map((resource) => resource.name));
  const scopes = resources.scopes.filter((name) => kept.has(name));
  return { valid: true, resources: { ...resources, scopes, apiScopes, apiResources } };
}

/**
 * RFC 8693 §4.1 `act`: the actor token's user (`sub`), or its client when it has no user; without
 * an actor token, the exchanging client. "A chain of delegation can be expressed by nesting one act
 * claim within another": a prior `act` of the subject token is kept inside the new one.
 */
export function actorClaim(exchangingClientId: string, subject: AccessTokenClaims, actor?: AccessTokenClaims): ActorClaim {
  let current: ActorClaim;
  if (actor === undefined) current = { client_id: exchangingClientId };
  else current = actor.sub !== undefined ? { sub: actor.sub } : { client_id: actor.client_id };
  return subject.act !== undefined ? { ...current, act: subject.act } : current;
}

/**
 * The exchanging client's settings with its access-token lifetime cut to what the subject token
 * has left: an exchange must not outlive the token it stands for, or repeated exchanges would
 * keep a token alive for ever.
 */
export function withLifetimeCappedBy(client: Client, subject: AccessTokenClaims, now: Date): Client {
  const remaining = subject.exp - Math.floor(now.getTime() / 1000);
  return remaining >= client.accessTokenLifetime ? client : { ...client, accessTokenLifetime: Math.max(remaining, 1) };
}
