import type { SigningAlgorithm } from '../config/app-config';
import { SIGNING_ALGORITHMS } from '../config/app-config';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import type { Resources } from '../stores/models';
import { ENDPOINT_PATHS } from '../protocol/paths';


/**
 * Client authentication at the token, PAR, revocation and device endpoints (docs/endpoints.md);
 * `none` is how public clients (PKCE, device flow) identify themselves.
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** Introspection callers are API resources authenticating with their apiSecrets. */
export const INTROSPECTION_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

export interface DiscoveryInput {
  /** no trailing slash */
  readonly issuer: string;
  readonly resources: Resources;
  /** algorithms that can sign now, default first (SigningService.getSigningAlgorithms) */
  readonly signingAlgorithms: readonly SigningAlgorithm[];
  /** the grant registry's names (SupportedGrantTypes): built-in and extension grants */
  readonly grantTypes: readonly string[];
}

/** OpenID Connect Discovery 1.0 §3 / RFC 8414 §2 metadata; only members this server implements. */
export interface DiscoveryDocument {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly userinfo_endpoint: string;
  readonly end_session_endpoint: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly device_authorization_endpoint: string;
  readonly pushed_authorization_request_endpoint: string;
  readonly require_pushed_authorization_requests: boolean;
  readonly frontchannel_logout_supported: boolean;
  readonly frontchannel_logout_session_supported: boolean;
  readonly backchannel_logout_supported: boolean;
  readonly backchannel_logout_session_supported: boolean;
  readonly scopes_supported: readonly string[];
  readonly claims_supported: readonly string[];
  readonly grant_types_supported: readonly string[];
  readonly response_types_supported: readonly string[];
  readonly response_modes_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly token_endpoint_auth_signing_alg_values_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_signing_alg_values_supported: readonly string[];
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly subject_types_supported: readonly string[];
  readonly id_token_signing_alg_values_supported: readonly string[];
  readonly code_challenge_methods_supported: readonly string[];
  readonly request_parameter_supported: boolean;
  readonly request_uri_parameter_supported: boolean;
  readonly claims_parameter_supported: boolean;
  readonly authorization_response_iss_parameter_supported: boolean;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** Builds the discovery document for one issuer. Pure: the service caches its serialisation. */
export function buildDiscoveryDocument(input: DiscoveryInput): DiscoveryDocument {
  const { issuer, resources } = input;
  const url = (path: string) => `${issuer}${path}`;
  const scopes = unique([
    ...resources.identityResources.map((r) => r.name),
    ...resources.apiScopes.map((s) => s.name),
    OFFLINE_ACCESS_SCOPE,
  ]);
  // Claims a relying party can receive about the user: those of identity resources and API
  // scopes (OIDC Discovery §3 claims_supported); `sub` is always issued.
  const claims = unique([
    'sub',
    ...resources.identityResources.flatMap((r) => r.userClaims),
    ...resources.apiScopes.flatMap((s) => s.userClaims),
  ]);
  return {
    issuer,
    jwks_uri: url(ENDPOINT_PATHS.jwks),
    authorization_endpoint: url(ENDPOINT_PATHS.authorization),
    token_endpoint: url(ENDPOINT_PATHS.token),
    userinfo_endpoint: url(ENDPOINT_PATHS.userinfo),
    end_session_endpoint: url(ENDPOINT_PATHS.endSession),
    revocation_endpoint: url(ENDPOINT_PATHS.revocation),
    introspection_endpoint: url(ENDPOINT_PATHS.introspection),
    device_authorization_endpoint: url(ENDPOINT_PATHS.deviceAuthorization),
    // RFC 9126 §5: PAR is offered; per-client `requirePushedAuthorization` is enforced, not global.
    pushed_authorization_request_endpoint: url(ENDPOINT_PATHS.pushedAuthorization),
    require_pushed_authorization_requests: false,
    frontchannel_logout_supported: false,
    frontchannel_logout_session_supported: false,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    scopes_supported: scopes,
    claims_supported: claims,
    grant_types_supported: [...input.grantTypes],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // RFC 7523 client assertions: any of the asymmetric algorithms the server verifies.
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // RFC 8414 §2: MUST be present when private_key_jwt is offered at the revocation endpoint.
    revocation_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    introspection_endpoint_auth_methods_supported: [...INTROSPECTION_AUTH_METHODS],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...input.signingAlgorithms],
    // `plain` is refused (RFC 9700 §2.1.1).
    code_challenge_methods_supported: ['S256'],
    request_parameter_supported: false,
    request_uri_parameter_supported: true,
    claims_parameter_supported: false,
    // RFC 9207 §3: `iss` is returned in every authorization response.
    authorization_response_iss_parameter_supported: true,
  };
}

/**
 * What the document depends on besides the issuer. When it changes (scopes, claims, signing
 * algorithms), every cached serialisation is stale.
 */
export function discoveryInputVersion(resources: Resources, signingAlgorithms: readonly SigningAlgorithm[]): string {
  return JSON.stringify([
    resources.identityResources.map((r) => [r.name, r.userClaims]),
    resources.apiScopes.map((s) => [s.name, s.userClaims]),
    signingAlgorithms,
  ]);
}
