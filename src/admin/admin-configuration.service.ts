import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { DataSource, EntityManager, EntitySchema, ObjectLiteral } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SupportedGrantTypes } from '../protocol/grant-types';
import { NotFoundError, InvalidTokenError } from '../protocol/protocol-errors';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import { parseConfigurationItem, type ConfigurationItem, type ConfigurationItemKind } from '../stores/config-file/identity-config.loader';
import { DataProtectionProvider, type DataProtector } from '../data-protection/data-protector';
import { externalProviderSecretProtector, protectExternalProviderSecret } from '../stores/external-provider-secret';
import type { ApiResource, ApiScope, Client, ClientSecret, ExternalProvider, IdentityResource } from '../stores/models';
import { DatabaseConfiguration } from '../stores/typeorm-config';
import {
  apiResourceToRow, clientToRow, externalProviderToRow, rowToApiResource, rowToClient, rowToExternalProvider, rowToScope, scopeToRow,
} from '../stores/typeorm-config/configuration-rows';
import { readConfigurationTables } from '../stores/typeorm-config/configuration-tables';
import {
  ConfigurationApiResourceEntity, ConfigurationApiScopeEntity, ConfigurationClientEntity, ConfigurationExternalProviderEntity,
  ConfigurationIdentityResourceEntity,
} from '../stores/typeorm-config/configuration.entities';
import { InsufficientScopeError, readBearerToken } from '../userinfo/bearer-token';
import { AccessTokenValidator } from '../token-issuance/access-token.validator';
import type { FastifyRequest } from 'fastify';
import { ProtocolError } from '../protocol/protocol-errors';
import {
  AlreadyExistsError, ConfigurationReadOnlyError, InUseError, InvalidAdminBodyError, PreconditionFailedError,
} from './admin-errors';

/** The scope an access token needs for the admin API. */
export const ADMIN_SCOPE = 'identity.admin';

/** A URL segment of the admin API and what it edits. */
interface Kind {
  readonly kind: ConfigurationItemKind;
  /** the item's key in the file's JSON shape */
  readonly key: 'clientId' | 'name' | 'scheme';
  readonly entity: EntitySchema<ObjectLiteral>;
  readonly toRow: (item: never, position: number) => ObjectLiteral;
  readonly fromRow: (row: never) => Item;
}

type Item = Client | IdentityResource | ApiScope | ApiResource | ExternalProvider;

const KINDS: Readonly<Record<string, Kind>> = {
  clients: { kind: 'clients', key: 'clientId', entity: ConfigurationClientEntity as EntitySchema<ObjectLiteral>, toRow: clientToRow as Kind['toRow'], fromRow: rowToClient as Kind['fromRow'] },
  'identity-resources': { kind: 'identityResources', key: 'name', entity: ConfigurationIdentityResourceEntity as EntitySchema<ObjectLiteral>, toRow: scopeToRow as Kind['toRow'], fromRow: rowToScope as Kind['fromRow'] },
  'api-scopes': { kind: 'apiScopes', key: 'name', entity: ConfigurationApiScopeEntity as EntitySchema<ObjectLiteral>, toRow: scopeToRow as Kind['toRow'], fromRow: rowToScope as Kind['fromRow'] },
  'api-resources': { kind: 'apiResources', key: 'name', entity: ConfigurationApiResourceEntity as EntitySchema<ObjectLiteral>, toRow: apiResourceToRow as Kind['toRow'], fromRow: rowToApiResource as Kind['fromRow'] },
  'external-providers': { kind: 'externalProviders', key: 'scheme', entity: ConfigurationExternalProviderEntity as EntitySchema<ObjectLiteral>, toRow: externalProviderToRow as Kind['toRow'], fromRow: rowToExternalProvider as Kind['fromRow'] },
};

export type AdminAction = 'create' | 'replace' | 'delete';

/** One item as the admin API answers it: the file's JSON shape, secret values left out, and its ETag. */
export interface AdminItem {
  readonly body: Record<string, unknown>;
  readonly etag: string;
}

/**
 * The admin API (docs/endpoints.md, "Admin API"): clients and resources of the database
 * configuration store, read and changed one item at a time in the configuration file's JSON
 * shape. Each change is one audit log line and `DatabaseConfiguration.configurationChanged()`.
 */
@Injectable()
export class AdminConfigurationService {
  private readonly logger = new Logger('AdminApi');
  private readonly providerSecrets: DataProtector;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly grantTypes: SupportedGrantTypes,
    private readonly accessTokens: AccessTokenValidator,
    private readonly configuration: DatabaseConfiguration,
    dataProtection: DataProtectionProvider,
  ) {
    this.providerSecrets = externalProviderSecretProtector(dataProtection);
  }

  /**
   * The admin client's id: the request's bearer JWT must be valid here (our keys, issuer, `at+jwt`,
   * lifetime) and carry `identity.admin`; then CONFIGURATION_STORE must be `database`.
   */
  async authorize(request: FastifyRequest, issuer: string): Promise<string> {
    let token: string;
    try {
      token = readBearerToken(request);
    } catch (error) {
      if (error instanceof ProtocolError) throw new InvalidTokenError(error.description ?? 'a bearer access token is required');
      throw error;
    }
    const claims = await this.accessTokens.validate(token, issuer);
    if (!claims) throw new InvalidTokenError('the access token is invalid or expired');
    if (!claims.scope.split(' ').includes(ADMIN_SCOPE)) throw new InsufficientScopeError(ADMIN_SCOPE);
    if (this.config.configuration.store !== 'database') throw new ConfigurationReadOnlyError();
    return claims.client_id;
  }

  kindOf(segment: string): Kind {
    const kind = KINDS[segment];
    if (!kind) throw new NotFoundError();
    return kind;
  }

  async list(kind: Kind): Promise<Record<string, unknown>[]> {
    const rows = await this.dataSource.getRepository(kind.entity).find({ order: { position: 'ASC', [kind.key]: 'ASC' } });
    return rows.map((row) => present(kind.fromRow(row as never)));
  }

  async get(kind: Kind, id: string): Promise<AdminItem> {
    const row = await this.findRow(this.dataSource.manager, kind, id);
    if (!row) throw notFound(kind, id);
    const item = kind.fromRow(row as never);
    return { body: present(item), etag: etagOf(kind, item) };
  }

  async create(kind: Kind, body: unknown, admin: string): Promise<AdminItem> {
    const parsed = await this.protectSecrets(await this.validate(kind, body));
    const id = idOf(parsed);
    const exists = () => new AlreadyExistsError(`${describeKind(kind)} "${id}" exists already; use PUT to replace it`);
    try {
      await this.dataSource.transaction(async (manager) => {
        if (await this.findRow(manager, kind, id)) throw exists();
        const last = await manager.getRepository(kind.entity).find({ order: { position: 'DESC' }, take: 1 });
        const position = ((last[0]?.position as number | undefined) ?? -1) + 1;
        await manager.getRepository(kind.entity).insert(kind.toRow(parsed.item as never, position));
      });
    } catch (error) {
      // Two creations of one key at once: the loser's insert breaks the primary key.
      if (!(error instanceof ProtocolError) && await this.findRow(this.dataSource.manager, kind, id).catch(() => null)) throw exists();
      throw error;
    }
    await this.changed(admin, 'create', kind, id);
    return { body: present(parsed.item), etag: etagOf(kind, parsed.item) };
  }

  async replace(kind: Kind, id: string, body: unknown, ifMatch: string | undefined, admin: string): Promise<AdminItem> {
    const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
    const withKey = isObject && !(kind.key in body) ? { ...body, [kind.key]: id } : body;
    // A client without `clientSecrets` (an API resource without `apiSecrets`) keeps the stored
    // secrets: they are write-only, so an edit of other fields cannot send them back. The client
    // is validated with a stand-in secret, replaced below by the stored ones.
    const secretsField = kind.kind === 'clients' ? 'clientSecrets' : kind.kind === 'apiResources' ? 'apiSecrets' : undefined;
    const keepSecrets = isObject && secretsField !== undefined && !(secretsField in body);
    const validated = keepSecrets && kind.kind === 'clients' ? { ...(withKey as object), clientSecrets: [{ type: 'SharedSecret', value: STAND_IN_SECRET }] } : withKey;
    let parsed = await this.protectSecrets(await this.validate(kind, validated));
    if (idOf(parsed) !== id) throw new InvalidAdminBodyError([`${kind.key}: must be "${id}" as in the URL (the ${kind.key} cannot be changed)`]);
    await this.dataSource.transaction(async (manager) => {
      const current = await this.findRow(manager, kind, id);
      if (!current) throw notFound(kind, id);
      checkIfMatch(ifMatch, kind, current);
      if (keepSecrets) parsed = withStoredSecrets(parsed, kind.fromRow(current as never));
      // A provider replaced without `clientSecret` keeps the stored one (secrets are write-only, so a GET-edit-PUT has none).
      if (parsed.kind === 'externalProviders' && !parsed.item.clientSecret) {
        const stored = kind.fromRow(current as never) as ExternalProvider;
        if (stored.clientSecret) parsed = { kind: 'externalProviders', item: { ...parsed.item, clientSecret: stored.clientSecret } };
      }
      await manager.getRepository(kind.entity).save(kind.toRow(parsed.item as never, current.position as number));
    });
    await this.changed(admin, 'replace', kind, id);
    return { body: present(parsed.item), etag: etagOf(kind, parsed.item) };
  }

  async delete(kind: Kind, id: string, ifMatch: string | undefined, admin: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.findRow(manager, kind, id);
      if (!current) throw notFound(kind, id);
      checkIfMatch(ifMatch, kind, current);
      await refuseWhileNamed(manager, kind, id);
      await manager.getRepository(kind.entity).delete({ [kind.key]: id });
    });
    await this.changed(admin, 'delete', kind, id);
  }

  private findRow(manager: EntityManager, kind: Kind, id: string): Promise<ObjectLiteral | null> {
    return manager.getRepository(kind.entity).findOneBy({ [kind.key]: id });
  }

  /** A provider's client secret is stored only protected by data protection (never plaintext, never hashed: it is sent to the provider). */
  private async protectSecrets(parsed: ConfigurationItem): Promise<ConfigurationItem> {
    if (parsed.kind !== 'externalProviders') return parsed;
    return { kind: parsed.kind, item: await protectExternalProviderSecret(parsed.item, this.providerSecrets) };
  }

  /** The file schema for one item, then the references the whole file's rules check (scopes defined). */
  private async validate(kind: Kind, body: unknown): Promise<ConfigurationItem> {
    const parsed = parseConfigurationItem(kind.kind, body, this.grantTypes.names);
    if ('problems' in parsed) throw new InvalidAdminBodyError(parsed.problems);
    const { resources } = await readConfigurationTables(this.dataSource);
    const identityNames = new Set(resources.identityResources.map((r) => r.name));
    const apiScopeNames = new Set(resources.apiScopes.map((s) => s.name));
    const problems: string[] = [];
    switch (parsed.kind) {
      case 'clients':
        parsed.item.allowedScopes.forEach((scope, index) => {
          if (scope !== OFFLINE_ACCESS_SCOPE && !identityNames.has(scope) && !apiScopeNames.has(scope)) {
            problems.push(`allowedScopes[${index}]: scope "${scope}" is not defined in identityResources or apiScopes`);
          }
        });
        break;
      case 'apiResources':
        parsed.item.scopes.forEach((scope, index) => {
          if (!apiScopeNames.has(scope)) problems.push(`scopes[${index}]: scope "${scope}" is not defined in apiScopes`);
        });
        break;
      case 'externalProviders':
        break;
      case 'identityResources':
      case 'apiScopes': {
        const name = parsed.item.name;
        if (name === OFFLINE_ACCESS_SCOPE) problems.push('name: offline_access is built in and must not be defined; use allowOfflineAccess on the client');
        const other = parsed.kind === 'apiScopes' ? identityNames : apiScopeNames;
        if (other.has(name)) problems.push(`name: "${name}" is already ${parsed.kind === 'apiScopes' ? 'an identity resource' : 'an API scope'}`);
        break;
      }
    }
    if (problems.length > 0) throw new InvalidAdminBodyError(problems);
    return parsed;
  }

  /** The audit line (never a secret), then every instance re-reads the configuration. */
  private async changed(admin: string, action: AdminAction, kind: Kind, id: string): Promise<void> {
    this.logger.log({ audit: 'admin_api', adminClientId: admin, action, kind: kind.kind, id }, `admin API: ${admin} ${action}d ${describeKind(kind)} "${id}"`);
    await this.configuration.configurationChanged();
  }
}

/** Stands for "the stored secrets" while a client sent without `clientSecrets` is validated; no secret hashes to 32 zero bytes. */
const STAND_IN_SECRET = `sha256:${Buffer.alloc(32).toString('base64')}`;

/** `parsed` with the secrets of `stored`; a confidential client must still have one. */
function withStoredSecrets(parsed: ConfigurationItem, stored: Item): ConfigurationItem {
  if (parsed.kind === 'clients') {
    const { clientSecrets } = stored as Client;
    if (parsed.item.requireClientSecret && clientSecrets.length === 0) {
      throw new InvalidAdminBodyError(['clientSecrets: a confidential client (requireClientSecret true) needs at least one secret; the stored client has none, so send one']);
    }
    return { kind: 'clients', item: { ...parsed.item, clientSecrets } };
  }
  if (parsed.kind === 'apiResources') return { kind: 'apiResources', item: { ...parsed.item, apiSecrets: (stored as ApiResource).apiSecrets } };
  return parsed;
}

/**
 * A scope (identity resource or API scope) that a client's `allowedScopes` or an API resource's
 * `scopes` names stays: deleting it would leave the store in a state the configuration file's rules
 * refuse (and that `config export` followed by `config import` could not reproduce).
 */
async function refuseWhileNamed(manager: EntityManager, kind: Kind, id: string): Promise<void> {
  if (kind.kind !== 'identityResources' && kind.kind !== 'apiScopes') return;
  const { clients, resources } = await readConfigurationTables(manager);
  const usedBy = [
    ...clients.filter((client) => client.allowedScopes.includes(id)).map((client) => `client "${client.clientId}"`),
    ...(kind.kind === 'apiScopes'
      ? resources.apiResources.filter((resource) => resource.scopes.includes(id)).map((resource) => `API resource "${resource.name}"`)
      : []),
  ];
  if (usedBy.length > 0) throw new InUseError(usedBy, `${describeKind(kind)} "${id}"`);
}

function idOf(parsed: ConfigurationItem): string {
  if (parsed.kind === 'clients') return parsed.item.clientId;
  if (parsed.kind === 'externalProviders') return parsed.item.scheme;
  return parsed.item.name;
}

function describeKind(kind: Kind): string {
  return {
    clients: 'client', identityResources: 'identity resource', apiScopes: 'API scope', apiResources: 'API resource', externalProviders: 'external provider',
  }[kind.kind];
}

function notFound(kind: Kind, id: string): NotFoundError {
  return new NotFoundError(`no ${describeKind(kind)} "${id}"`);
}

/**
 * A strong ETag: the SHA-256 of the item as stored (secrets as their digests), written the same
 * way whatever the database returned (booleans, column order), so PostgreSQL and SQLite agree.
 */
function etagOf(kind: Kind, item: Item): string {
  const row = kind.toRow(item as never, 0);
  const stable = Object.keys(row).sort().map((key) => [key, row[key] as unknown]);
  return `"${createHash('sha256').update(JSON.stringify(stable)).digest('base64url')}"`;
}

/** RFC 9110 §13.1.1: `*` or a list of ETags; weak ones never match for a change. */
function checkIfMatch(ifMatch: string | undefined, kind: Kind, row: ObjectLiteral): void {
  if (ifMatch === undefined) return;
  if (ifMatch.trim() === '*') return;
  const current = etagOf(kind, kind.fromRow(row as never));
  if (!ifMatch.split(',').map((tag) => tag.trim()).includes(current)) throw new PreconditionFailedError();
}

/** The file's JSON shape with secret values left out: only their type and expiration; a provider's secret not at all. */
function present(item: Item): Record<string, unknown> {
  const secrets = (list: readonly ClientSecret[]) => list.map((s) => ({ type: s.type, ...(s.expiration && { expiration: s.expiration.toISOString() }) }));
  if ('scheme' in item) {
    const { clientSecret: _secret, ...rest } = item;
    return { ...rest };
  }
  if ('clientSecrets' in item) return { ...item, clientSecrets: secrets(item.clientSecrets) };
  if ('apiSecrets' in item) return { ...item, apiSecrets: secrets(item.apiSecrets) };
  return { ...item };
}
