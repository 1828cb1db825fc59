import { createPublicKey, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { z } from 'zod';
import { OFFLINE_ACCESS_SCOPE } from '../../protocol/scopes';
import { GRANT_TYPES } from '../models/client.model';
import { SIGNING_ALGORITHMS } from '../../config/app-config';

/**
 * Schema of the configuration file (docs/configuration-file.md). Field names follow Duende IdentityServer's
 * models in camelCase and so do the defaults. Every object is strict so that a misspelt field
 * (`requirePcke`) is reported instead of silently falling back to a default.
 */

/** The built-in grants; the running server validates against its registry (SupportedGrantTypes). */
export const BUILT_IN_GRANT_TYPES: readonly string[] = Object.values(GRANT_TYPES);

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// RFC 6749 Appendix A.1: client-id = *VSCHAR
const VSCHAR = /^[\x20-\x7E]+$/;

const nonEmpty = z.string().min(1, 'must not be empty');
const scopeName = nonEmpty.regex(SCOPE_TOKEN, 'must be a scope token (printable ASCII, no spaces, quotes or backslashes)');

/** RFC 6749 §3.1.2: redirection endpoints are absolute URIs without a fragment component. */
/** A client's logo (shown on login, consent and the device pages): an http(s) URL. */
const logoUri = z.string().max(2000, 'must be at most 2000 characters').superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an https:// or http:// URL' });
  }
});

const absoluteUri = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an absolute URI' });
    return;
  }
  if (value.includes('#') || url.hash) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not contain a fragment (#…)' });
  }
});

const seconds = (what: string) => z.number().int(`${what} must be a whole number of seconds`);
const positiveSeconds = seconds('lifetime').positive('must be a positive number of seconds');

const expiration = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z' });
const signingAlgorithms = z.array(z.enum(SIGNING_ALGORITHMS)).default([]);

/** Duende's Secret.Type defaults to SharedSecret when omitted. */
function defaultSecretType(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value)) {
    return { ...value, type: 'SharedSecret' };
  }
  return value;
}

const SHA256_PREFIX = 'sha256:';

const sharedSecretSchema = z.object({
  type: z.literal('SharedSecret'),
  value: nonEmpty.superRefine((value, ctx) => {
    if (!value.startsWith(SHA256_PREFIX)) return;
    const encoded = value.slice(SHA256_PREFIX.length);
    const digest = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || digest.length !== 32) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'sha256: must be followed by the base64 of a 32-byte SHA-256 digest' });
    }
  }),
  description: z.string().optional(),
  expiration: expiration.optional(),
}).strict();

/** JWK members that only a private (or symmetric) key has; a client registers its public key only. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export type PublicJwk = Record<string, unknown> & { kty: 'RSA' | 'EC' };

/** A JWK object or a string holding one (docs/configuration-file.md); must be an RSA or EC public key. */
const publicJwk = z.unknown().transform((value, ctx): PublicJwk => {
  let jwk: unknown = value;
  if (typeof value === 'string') {
    try {
      jwk = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JWK object or a string holding JWK JSON' });
      return z.NEVER;
    }
  }
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JWK object or a string holding JWK JSON' });
    return z.NEVER;
  }
  const members = jwk as Record<string, unknown>;
  if (members.kty === 'oct') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'symmetric keys (kty "oct") are not allowed; use a SharedSecret' });
    return z.NEVER;
  }
  if (members.kty !== 'RSA' && members.kty !== 'EC') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `kty must be RSA or EC, got ${JSON.stringify(members.kty)}` });
    return z.NEVER;
  }
  const privateMembers = PRIVATE_JWK_MEMBERS.filter((m) => m in members);
  if (privateMembers.length > 0) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `must be a public key: remove the private member(s) ${privateMembers.join(', ')} and keep the private key with the client`,
    });
    return z.NEVER;
  }
  if (members.alg !== undefined && !SIGNING_ALGORITHMS.includes(members.alg as (typeof SIGNING_ALGORITHMS)[number])) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `alg must be one of ${SIGNING_ALGORITHMS.join(', ')}` });
    return z.NEVER;
  }
  try {
    // Node checks the key material itself (modulus, curve point), not just the member names.
    createPublicKey({ key: members as NodeJsonWebKey, format: 'jwk' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is not a valid ${members.kty} public key (${reason})` });
    return z.NEVER;
  }
  return members as PublicJwk;
});

const jsonWebKeySecretSchema = z.object({
  type: z.literal('JsonWebKey'),
  value: publicJwk,
  description: z.string().optional(),
  expiration: expiration.optional(),
}).strict();

const clientSecretSchema = z.preprocess(
  defaultSecretType,
  z.discriminatedUnion('type', [sharedSecretSchema, jsonWebKeySecretSchema]),
);
const apiSecretSchema = z.preprocess(defaultSecretType, sharedSecretSchema);

function uniqueList<T extends z.ZodTypeAny>(item: T) {
  return z.array(item).default([]).superRefine((values, ctx) => {
    const seen = new Set<unknown>();
    values.forEach((value, index) => {
      if (seen.has(value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [index], message: `${JSON.stringify(value)} is listed twice` });
      }
      seen.add(value);
    });
  });
}

/** A client; `allowedGrantTypes` accepts the names of the server's grant registry only. */
export function clientSchemaFor(grantTypes: readonly string[]) {
  const [first, ...rest] = grantTypes;
  if (first === undefined) throw new Error('the grant registry is empty');
  return z.object({
    clientId: nonEmpty.regex(VSCHAR, 'must be printable ASCII (RFC 6749 Appendix A.1)'),
    clientName: z.string().optional(),
    logoUri: logoUri.optional(),
    enabled: z.boolean().default(true),
    clientSecrets: z.array(clientSecretSchema).default([]),
    requireClientSecret: z.boolean().default(true),
    allowedGrantTypes: uniqueList(z.enum([first, ...rest])),
    allowedScopes: uniqueList(scopeName),
    redirectUris: z.array(absoluteUri).default([]),
    postLogoutRedirectUris: z.array(absoluteUri).default([]),
    backChannelLogoutUri: absoluteUri.optional(),
    requirePkce: z.boolean().default(true),
    requireConsent: z.boolean().default(false),
    allowOfflineAccess: z.boolean().default(false),
    accessTokenType: z.enum(['jwt', 'reference']).default('jwt'),
    accessTokenLifetime: positiveSeconds.default(3600),
    identityTokenLifetime: positiveSeconds.default(300),
    authorizationCodeLifetime: positiveSeconds.default(300),
    deviceCodeLifetime: positiveSeconds.default(300),
    refreshTokenUsage: z.enum(['oneTime', 'reuse']).default('oneTime'),
    refreshTokenReuseInterval: seconds('interval').nonnegative('must not be negative').default(0),
    refreshTokenExpiration: z.enum(['absolute', 'sliding']).default('absolute'),
    // Duende: 0 means "no absolute limit" for sliding refresh tokens.
    absoluteRefreshTokenLifetime: seconds('lifetime').nonnegative('must not be negative').default(2_592_000),
    slidingRefreshTokenLifetime: positiveSeconds.default(1_296_000),
    allowedTokenSigningAlgorithms: signingAlgorithms,
    alwaysIncludeUserClaimsInIdToken: z.boolean().default(false),
    requirePushedAuthorization: z.boolean().default(false),
  }).strict().superRefine((client, ctx) => {
    const grants = client.allowedGrantTypes;
    if (client.requireClientSecret && client.clientSecrets.length === 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['clientSecrets'],
        message: 'a confidential client (requireClientSecret true) needs at least one secret; set requireClientSecret false for a public client',
      });
    }
    // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
    if (!client.requireClientSecret && grants.includes(GRANT_TYPES.clientCredentials)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['requireClientSecret'],
        message: 'client_credentials needs an authenticated client; requireClientSecret must be true',
      });
    }
    if (grants.includes(GRANT_TYPES.authorizationCode) && client.redirectUris.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['redirectUris'], message: 'authorization_code needs at least one redirect URI' });
    }
  });
}

export const identityResourceSchema = z.object({
  name: scopeName,
  displayName: z.string().optional(),
  userClaims: uniqueList(nonEmpty),
}).strict();

export const apiScopeSchema = z.object({
  name: scopeName,
  displayName: z.string().optional(),
  userClaims: uniqueList(nonEmpty),
}).strict();

export const apiResourceSchema = z.object({
  name: nonEmpty,
  displayName: z.string().optional(),
  scopes: uniqueList(scopeName),
  apiSecrets: z.array(apiSecretSchema).default([]),
  allowedAccessTokenSigningAlgorithms: signingAlgorithms,
}).strict();

const claimValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())], {
  errorMap: () => ({ message: 'must be a string, number, boolean or list of strings' }),
});

const userSchema = z.object({
  subjectId: nonEmpty,
  username: nonEmpty,
  password: nonEmpty,
  claims: z.record(claimValue).default({}).superRefine((claims, ctx) => {
    if ('sub' in claims) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sub'], message: 'set the subject with subjectId, not as a claim' });
    }
  }),
}).strict();

/** Loopback hosts, where an http:// authority is allowed (development and tests); anywhere else https is required. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An issuer URL (OIDC Discovery §4.3 appends /.well-known/openid-configuration): https, no query or fragment. */
const authorityUri = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an absolute URL (the provider\'s issuer)' });
    return;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must use https (http only for localhost / 127.0.0.1 / [::1])' });
  }
  if (url.search || url.hash || value.includes('#') || value.includes('?')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not contain a query or fragment' });
  }
});

/** A scheme is a URL path segment (/signin/{scheme}) and the `idp` claim: short, URL-safe. */
export const EXTERNAL_PROVIDER_SCHEME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Claims the server sets itself; a mapping must not overwrite them. */
const RESERVED_LOCAL_CLAIMS = new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'auth_time', 'amr', 'idp', 'sid', 'nonce', 'azp', 'jti']);

/** One external OpenID Connect provider (federation). */
export const externalProviderSchema = z.object({
  scheme: nonEmpty.regex(EXTERNAL_PROVIDER_SCHEME, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  displayName: z.string().min(1, 'must not be empty').optional(),
  enabled: z.boolean().default(true),
  authority: authorityUri,
  clientId: nonEmpty.regex(VSCHAR, 'must be printable ASCII (RFC 6749 Appendix A.1)'),
  clientSecret: nonEmpty.optional(),
  scopes: uniqueList(scopeName).default(['openid', 'profile']).superRefine((scopes, ctx) => {
    if (!scopes.includes('openid')) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must include "openid" (the provider signs the user in with an id token)' });
  }),
  claimMappings: z.record(nonEmpty).default({}).superRefine((mappings, ctx) => {
    for (const local of Object.keys(mappings)) {
      if (RESERVED_LOCAL_CLAIMS.has(local)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [local], message: `"${local}" is set by the server and cannot be mapped` });
      }
    }
  }),
  autoProvision: z.boolean().default(false),
}).strict();

export type ExternalProviderConfig = z.output<typeof externalProviderSchema>;

type Ctx = z.RefinementCtx;

function requireUnique<T>(ctx: Ctx, items: readonly T[], key: (item: T) => string, collection: string, field: string): void {
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    const value = key(item);
    const earlier = first.get(value);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [collection, index, field],
        message: `duplicate ${field} "${value}" (already used by ${collection}[${earlier}])`,
      });
    } else {
      first.set(value, index);
    }
  });
}

/**
 * The whole file, for a server whose grant registry holds `grantTypes` (built-ins plus the
 * extension grants given to IdentityServerModule.forRoot).
 */
export function identityConfigSchemaFor(grantTypes: readonly string[] = BUILT_IN_GRANT_TYPES) {
  return z.object({
    // lets editors pick up a JSON schema; ignored otherwise
    $schema: z.string().optional(),
    clients: z.array(clientSchemaFor(grantTypes)).default([]),
    identityResources: z.array(identityResourceSchema).default([]),
    apiScopes: z.array(apiScopeSchema).default([]),
    apiResources: z.array(apiResourceSchema).default([]),
    users: z.array(userSchema).default([]),
    externalProviders: z.array(externalProviderSchema).default([]),
  }).strict().superRefine((config, ctx) => {
    requireUnique(ctx, config.clients, (c) => c.clientId, 'clients', 'clientId');
    requireUnique(ctx, config.identityResources, (r) => r.name, 'identityResources', 'name');
    requireUnique(ctx, config.apiScopes, (s) => s.name, 'apiScopes', 'name');
    requireUnique(ctx, config.apiResources, (r) => r.name, 'apiResources', 'name');
    requireUnique(ctx, config.users, (u) => u.username, 'users', 'username');
    requireUnique(ctx, config.users, (u) => u.subjectId, 'users', 'subjectId');
    requireUnique(ctx, config.externalProviders, (p) => p.scheme, 'externalProviders', 'scheme');

    // Identity resources and API scopes share one scope namespace (as Duende's resource validation).
    const identityNames = new Set(config.identityResources.map((r) => r.name));
    const apiScopeNames = new Set(config.apiScopes.map((s) => s.name));
    config.apiScopes.forEach((scope, index) => {
      if (identityNames.has(scope.name)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['apiScopes', index, 'name'], message: `"${scope.name}" is already an identity resource` });
      }
    });
    // offline_access is the built-in refresh-token scope (OIDC Core §11), granted by allowOfflineAccess.
    for (const collection of ['identityResources', 'apiScopes'] as const) {
      config[collection].forEach((resource, index) => {
        if (resource.name === OFFLINE_ACCESS_SCOPE) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [collection, index, 'name'],
            message: 'offline_access is built in and must not be defined; use allowOfflineAccess on the client',
          });
        }
      });
    }

    config.clients.forEach((client, clientIndex) => {
      client.allowedScopes.forEach((scope, scopeIndex) => {
        if (scope !== OFFLINE_ACCESS_SCOPE && !identityNames.has(scope) && !apiScopeNames.has(scope)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['clients', clientIndex, 'allowedScopes', scopeIndex],
            message: `scope "${scope}" is not defined in identityResources or apiScopes`,
          });
        }
      });
    });
    config.apiResources.forEach((resource, resourceIndex) => {
      resource.scopes.forEach((scope, scopeIndex) => {
        if (!apiScopeNames.has(scope)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['apiResources', resourceIndex, 'scopes', scopeIndex],
            message: `scope "${scope}" is not defined in apiScopes`,
          });
        }
      });
    });
  });
}

/** The file as written, after validation and with Duende's defaults filled in. */
export type IdentityConfigFile = z.output<ReturnType<typeof identityConfigSchemaFor>>;
export type ClientConfig = z.output<ReturnType<typeof clientSchemaFor>>;
