import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { parse as parseTolerant, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import type {
  ApiResource, ApiScope, Client, ClientSecret, ExternalProvider, IdentityResource, SharedSecret, User,
} from '../models';
import { hashPassword, type PasswordHash } from './password-hash';
import { ConfigError } from '../../config/config-error';
import {
  apiResourceSchema, apiScopeSchema, BUILT_IN_GRANT_TYPES, clientSchemaFor, externalProviderSchema, identityConfigSchemaFor,
  identityResourceSchema, type ClientConfig, type ExternalProviderConfig, type IdentityConfigFile,
} from './identity-config.schema';

/** A configured user as the demo user store keeps it: the password only as its scrypt hash. */
export interface ConfiguredUser extends User {
  readonly passwordHash: PasswordHash;
}

/** The configuration file (docs/configuration-file.md) as domain models, validated and frozen. */
export interface IdentityConfiguration {
  readonly clients: readonly Client[];
  readonly identityResources: readonly IdentityResource[];
  readonly apiScopes: readonly ApiScope[];
  readonly apiResources: readonly ApiResource[];
  readonly users: readonly ConfiguredUser[];
  readonly externalProviders: readonly ExternalProvider[];
}

/**
 * Reads, validates and converts the configuration file. Throws ConfigError listing every
 * problem with its JSON path (`clients[2].redirectUris[0]: must be an absolute URI`).
 * Shared secrets and passwords are hashed here; the plaintext is not kept. `grantTypes` are the
 * names a client may list in allowedGrantTypes: the server's grant registry.
 */
export async function loadIdentityConfig(
  path: string, grantTypes: readonly string[] = BUILT_IN_GRANT_TYPES,
): Promise<IdentityConfiguration> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`CONFIG_FILE: cannot read "${path}": ${reason}`]);
  }
  return parseIdentityConfig(text, path, grantTypes);
}

/** As loadIdentityConfig, for text already read; `source` names it in messages. */
export async function parseIdentityConfig(
  text: string, source: string, grantTypes: readonly string[] = BUILT_IN_GRANT_TYPES,
): Promise<IdentityConfiguration> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([describeJsonSyntaxError(text, error)], source);
  }
  const result = identityConfigSchemaFor(grantTypes).safeParse(json, { errorMap: problemMessage });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), source);
  return deepFreeze(await toDomain(result.data));
}

/** The kinds of item the configuration file lists (and the admin API edits one at a time). */
export type ConfigurationItemKind = 'clients' | 'identityResources' | 'apiScopes' | 'apiResources' | 'externalProviders';

export type ConfigurationItem =
  | { readonly kind: 'clients'; readonly item: Client }
  | { readonly kind: 'identityResources'; readonly item: IdentityResource }
  | { readonly kind: 'apiScopes'; readonly item: ApiScope }
  | { readonly kind: 'apiResources'; readonly item: ApiResource }
  | { readonly kind: 'externalProviders'; readonly item: ExternalProvider };

/**
 * One item in the configuration file's JSON shape (e.g. one entry of `clients`), validated with
 * the file's schema for that item (defaults filled in, shared secrets hashed). `problems` lists
 * each problem with its JSON path inside the item (`redirectUris: authorization_code needs...`).
 */
export function parseConfigurationItem(
  kind: ConfigurationItemKind, json: unknown, grantTypes: readonly string[] = BUILT_IN_GRANT_TYPES,
): { readonly problems: readonly string[] } | ConfigurationItem {
  const options = { errorMap: problemMessage };
  switch (kind) {
    case 'clients': {
      const result = clientSchemaFor(grantTypes).safeParse(json, options);
      return result.success ? { kind, item: toClient(result.data) } : { problems: formatIssues(result.error.issues) };
    }
    case 'identityResources': {
      const result = identityResourceSchema.safeParse(json, options);
      return result.success ? { kind, item: { ...result.data } } : { problems: formatIssues(result.error.issues) };
    }
    case 'apiScopes': {
      const result = apiScopeSchema.safeParse(json, options);
      return result.success ? { kind, item: { ...result.data } } : { problems: formatIssues(result.error.issues) };
    }
    case 'apiResources': {
      const result = apiResourceSchema.safeParse(json, options);
      return result.success ? { kind, item: toApiResource(result.data) } : { problems: formatIssues(result.error.issues) };
    }
    case 'externalProviders': {
      const result = externalProviderSchema.safeParse(json, options);
      return result.success ? { kind, item: toExternalProvider(result.data) } : { problems: formatIssues(result.error.issues) };
    }
  }
}

async function toDomain(file: IdentityConfigFile): Promise<IdentityConfiguration> {
  const users: ConfiguredUser[] = [];
  // One at a time on purpose: scrypt is memory-hard and start-up is not the place to spike memory.
  for (const u of file.users) {
    users.push({ subjectId: u.subjectId, username: u.username, claims: u.claims, passwordHash: await hashPassword(u.password) });
  }
  return {
    clients: file.clients.map(toClient),
    identityResources: file.identityResources.map((r) => ({ ...r })),
    apiScopes: file.apiScopes.map((s) => ({ ...s })),
    apiResources: file.apiResources.map(toApiResource),
    users,
    externalProviders: file.externalProviders.map(toExternalProvider),
  };
}

/** The provider as the stores keep it: display name defaulted to the scheme, the secret still plaintext (see ExternalProviderSecret). */
export function toExternalProvider(p: ExternalProviderConfig): ExternalProvider {
  return {
    scheme: p.scheme,
    displayName: p.displayName ?? p.scheme,
    enabled: p.enabled,
    authority: p.authority,
    clientId: p.clientId,
    ...(p.clientSecret !== undefined && { clientSecret: { plaintext: p.clientSecret } }),
    scopes: p.scopes,
    claimMappings: p.claimMappings,
    autoProvision: p.autoProvision,
  };
}

function toApiResource(r: IdentityConfigFile['apiResources'][number]): ApiResource {
  return {
    name: r.name,
    displayName: r.displayName,
    scopes: r.scopes,
    apiSecrets: r.apiSecrets.map((s) => toSharedSecret(s.value, s.expiration)),
    allowedAccessTokenSigningAlgorithms: r.allowedAccessTokenSigningAlgorithms,
  };
}

function toClient(c: ClientConfig): Client {
  const clientSecrets = c.clientSecrets.map((s): ClientSecret => (s.type === 'SharedSecret'
    ? toSharedSecret(s.value, s.expiration)
    : { type: 'JsonWebKey', jwk: s.value as JWK, ...(s.expiration ? { expiration: new Date(s.expiration) } : {}) }));
  return { ...c, clientSecrets };
}

const SHA256_PREFIX = 'sha256:';

/** docs/configuration-file.md: plaintext is hashed now; `sha256:BASE64` is already the digest. */
function toSharedSecret(value: string, expiration: string | undefined): SharedSecret {
  const sha256 = value.startsWith(SHA256_PREFIX)
    ? Buffer.from(value.slice(SHA256_PREFIX.length), 'base64')
    : createHash('sha256').update(value, 'utf8').digest();
  return { type: 'SharedSecret', sha256, ...(expiration ? { expiration: new Date(expiration) } : {}) };
}

function describeJsonSyntaxError(text: string, error: unknown): string {
  const message = withoutQuotedSource(error instanceof Error ? error.message : String(error));
  const offset = jsonErrorOffset(text, message);
  if (offset === undefined) return `invalid JSON: ${message}`;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `invalid JSON at line ${line}, column ${column}: ${message}`;
}

/**
 * V8 quotes part of the text in some messages (`Unexpected token '}', "…secret…" is not valid
 * JSON`): that part may hold a secret, and the message is logged, so it is dropped; the line and
 * column say where to look.
 */
function withoutQuotedSource(message: string): string {
  return message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '');
}

/**
 * V8 gives a position for some syntax errors only ("Unexpected token '}'" has none), so the
 * tolerant jsonc-parser scanner locates the first error when V8 does not.
 */
function jsonErrorOffset(text: string, message: string): number | undefined {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { allowTrailingComma: false, disallowComments: true });
  return errors[0]?.offset;
}

/** Messages an operator can act on, in place of zod's generic ones. */
const problemMessage: z.ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      return { message: issue.received === 'undefined' ? 'is required' : `expected ${issue.expected}, got ${issue.received}` };
    case z.ZodIssueCode.invalid_enum_value:
      return { message: `must be one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}` };
    case z.ZodIssueCode.invalid_literal:
      return { message: `must be ${JSON.stringify(issue.expected)}` };
    case z.ZodIssueCode.invalid_union_discriminator:
      return { message: `must be one of ${issue.options.map(String).join(', ')}` };
    default:
      return { message: ctx.defaultError };
  }
};

function formatIssues(issues: readonly z.ZodIssue[]): string[] {
  return issues.flatMap((issue) => (issue.code === z.ZodIssueCode.unrecognized_keys
    ? issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown field (check the spelling; see docs/configuration-file.md)`)
    : [`${formatPath(issue.path)}: ${issue.message}`]));
}

/** `['clients', 2, 'redirectUris', 0]` → `clients[2].redirectUris[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path.map((segment, index) => {
    if (typeof segment === 'number') return `[${segment}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
    return `[${JSON.stringify(segment)}]`;
  }).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
