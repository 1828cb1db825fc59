import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource, type EntityManager, type EntitySchema, type ObjectLiteral } from 'typeorm';
import { JSON_OPTION, type CliCommand, type CliOutput } from '../common/cli-command';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ConfigError } from '../config/config-error';
import { parseDuration } from '../config/duration';
import { SupportedGrantTypes } from '../protocol/grant-types';
import { IDENTITY_CONFIGURATION } from './config-file';
import { parseIdentityConfig, type IdentityConfiguration } from './config-file/identity-config.loader';
import { DataProtectionModule } from '../data-protection/data-protection.module';
import { DataProtectionProvider } from '../data-protection/data-protector';
import { externalProviderSecretProtector, protectExternalProviderSecret } from './external-provider-secret';
import type { ApiResource, Client, ClientSecret, ExternalProvider, Resources } from './models';
import { DatabaseConfiguration } from './typeorm-config';
import {
  ConfigurationApiResourceEntity, ConfigurationApiScopeEntity, ConfigurationClientEntity, ConfigurationExternalProviderEntity,
  ConfigurationIdentityResourceEntity, type ConfigurationApiResourceRow, type ConfigurationClientRow,
  type ConfigurationExternalProviderRow,
} from './typeorm-config/configuration.entities';
import { apiResourceToRow, clientToRow, externalProviderToRow, rowToClient, scopeToRow } from './typeorm-config/configuration-rows';

/*
 * `config import|export` and `clients …` (docs/cli.md): the configuration store from the command
 * line. The writing commands need CONFIGURATION_STORE=database; after each write they call
 * DatabaseConfiguration.configurationChanged(), which raises the store's version (every running
 * server polls it) and, when REDIS_URL is set, also publishes `configuration-changed`: the servers
 * re-read the tables within seconds either way.
 */

/** A refusal the command prints as its one line on stderr (exit 1). */
class CommandRefused extends Error {}

const FILE_READ_ONLY = 'the configuration file is read-only: edit CONFIG_FILE (or set CONFIGURATION_STORE=database to manage clients with the CLI)';

function requireDatabaseStore(app: INestApplicationContext, refusal = FILE_READ_ONLY): DatabaseConfiguration {
  const store = app.get(DatabaseConfiguration);
  if (!store.active) throw new CommandRefused(refusal);
  return store;
}

/** What the configuration store holds now: the tables, or CONFIG_FILE with the file store. */
async function currentConfiguration(app: INestApplicationContext): Promise<{
  clients: readonly Client[]; resources: Resources; externalProviders: readonly ExternalProvider[];
}> {
  const store = app.get(DatabaseConfiguration);
  if (store.active) return store.snapshot();
  const file = app.get<IdentityConfiguration>(IDENTITY_CONFIGURATION);
  return { clients: file.clients, resources: file, externalProviders: file.externalProviders };
}

/** Runs `body`, turning a refusal into its line on stderr and exit code 1. */
async function refusing(out: CliOutput, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CommandRefused) {
      out.error(error.message);
      return 1;
    }
    if (error instanceof ConfigError) {
      out.error(error.message);
      return 1;
    }
    throw error;
  }
}

// ---------------------------------------------------------------- export

function secretJson(secret: ClientSecret): Record<string, unknown> | undefined {
  // Shared secrets are never printed; a JWK secret is the client's public key.
  if (secret.type !== 'JsonWebKey') return undefined;
  return { type: 'JsonWebKey', value: secret.jwk, ...(secret.expiration && { expiration: secret.expiration.toISOString() }) };
}

function clientJson(client: Client): Record<string, unknown> {
  const { clientSecrets, ...rest } = client;
  return { ...rest, clientSecrets: clientSecrets.map(secretJson).filter((s) => s !== undefined) };
}

function apiResourceJson(resource: ApiResource): Record<string, unknown> {
  const { apiSecrets: _secrets, ...rest } = resource;
  return { ...rest, apiSecrets: [] };
}

function externalProviderJson(provider: ExternalProvider): Record<string, unknown> {
  const { clientSecret: _secret, ...rest } = provider;
  return { ...rest };
}

/** The configuration as configuration-file JSON, shared and provider secrets omitted, users omitted. */
export function exportConfiguration(
  clients: readonly Client[], resources: Resources, externalProviders: readonly ExternalProvider[] = [],
): Record<string, unknown> {
  return {
    clients: clients.map(clientJson),
    identityResources: resources.identityResources.map((r) => ({ ...r })),
    apiScopes: resources.apiScopes.map((s) => ({ ...s })),
    apiResources: resources.apiResources.map(apiResourceJson),
    externalProviders: externalProviders.map(externalProviderJson),
  };
}

export const configExportCommand: CliCommand = {
  name: 'config export',
  description: 'print the configuration store (clients and resources) as configuration-file JSON, shared secrets and users omitted',
  access: 'read-only',
  // The output is JSON either way; --json is accepted like on every read-only command.
  options: [JSON_OPTION],
  async run(app, _args, out) {
    const { clients, resources, externalProviders } = await currentConfiguration(app);
    out.json(exportConfiguration(clients, resources, externalProviders));
    return 0;
  },
};

// ---------------------------------------------------------------- import

interface Counts { created: number; updated: number }

/** Inserts or updates rows by primary key; new rows go after the existing ones. */
async function upsert<T extends ObjectLiteral & { position: number }>(
  manager: EntityManager, entity: EntitySchema<T>, key: keyof T & string,
  rows: readonly T[],
): Promise<Counts> {
  const repository = manager.getRepository<T>(entity);
  const existing = new Map((await repository.find()).map((row) => [row[key] as unknown, row]));
  let next = Math.max(-1, ...[...existing.values()].map((row) => row.position)) + 1;
  const counts = { created: 0, updated: 0 };
  for (const row of rows) {
    const old = existing.get(row[key]);
    if (old) {
      await repository.save({ ...row, position: old.position });
      counts.updated += 1;
    } else {
      await repository.insert({ ...row, position: next++ });
      counts.created += 1;
    }
  }
  return counts;
}

/** Stands for "no secrets in the file" during validation; no secret hashes to 32 zero bytes. */
const NO_SECRETS_MARK = `sha256:${Buffer.alloc(32).toString('base64')}`;

/**
 * `config export` omits secrets, so a client the file lists without `clientSecrets` (or with an
 * empty list) keeps the secrets the store holds for it, and a new one gets none (it cannot
 * authenticate until `clients secret add`). Validation is otherwise the start-up one: such a
 * client is validated with a placeholder secret, replaced after.
 */
function markClientsWithoutSecrets(text: string): { text: string; withoutSecrets: Set<number> } {
  const withoutSecrets = new Set<number>();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { text, withoutSecrets }; // the loader reports the syntax error with its line and column
  }
  const clients = (json as { clients?: unknown })?.clients;
  if (!Array.isArray(clients)) return { text, withoutSecrets };
  clients.forEach((client: unknown, index) => {
    if (client === null || typeof client !== 'object' || Array.isArray(client)) return;
    const record = client as Record<string, unknown>;
    const secrets = record.clientSecrets;
    if (secrets === undefined || (Array.isArray(secrets) && secrets.length === 0)) {
      record.clientSecrets = [{ type: 'SharedSecret', value: NO_SECRETS_MARK }];
      withoutSecrets.add(index);
    }
  });
  return { text: JSON.stringify(json), withoutSecrets };
}

/** The file's clients as rows; those it lists without secrets keep the stored ones (or none). */
async function keepStoredSecrets(
  manager: EntityManager, file: IdentityConfiguration, withoutSecrets: ReadonlySet<number>,
): Promise<ConfigurationClientRow[]> {
  const stored = new Map((await manager.getRepository<ConfigurationClientRow>(ConfigurationClientEntity).find())
    .map((row) => [row.clientId, row]));
  return file.clients.map((client, index) => {
    if (!withoutSecrets.has(index)) return clientToRow(client, index);
    const row = stored.get(client.clientId);
    return clientToRow({ ...client, clientSecrets: row ? rowToClient(row).clientSecrets : [] }, index);
  });
}

/** As for clients: an API resource listed without secrets keeps the stored ones. */
async function keepStoredApiSecrets(manager: EntityManager, resources: readonly ApiResource[]): Promise<ConfigurationApiResourceRow[]> {
  const stored = new Map((await manager.getRepository<ConfigurationApiResourceRow>(ConfigurationApiResourceEntity).find())
    .map((row) => [row.name, row]));
  return resources.map((resource, index) => {
    const row = apiResourceToRow(resource, index);
    const old = stored.get(resource.name);
    return resource.apiSecrets.length === 0 && old ? { ...row, apiSecrets: old.apiSecrets } : row;
  });
}

/**
 * As for clients: a provider the file lists without `clientSecret` keeps the stored one; a given
 * one is stored protected by data protection.
 */
async function protectedProviderRows(
  manager: EntityManager, providers: readonly ExternalProvider[], app: INestApplicationContext,
): Promise<ConfigurationExternalProviderRow[]> {
  const stored = new Map((await manager.getRepository<ConfigurationExternalProviderRow>(ConfigurationExternalProviderEntity).find())
    .map((row) => [row.scheme, row]));
  const protector = externalProviderSecretProtector(app.get(DataProtectionProvider, { strict: false }));
  const rows: ConfigurationExternalProviderRow[] = [];
  for (const [index, provider] of providers.entries()) {
    const row = externalProviderToRow(await protectExternalProviderSecret(provider, protector), index);
    const old = stored.get(provider.scheme);
    rows.push(!provider.clientSecret && old ? { ...row, clientSecret: old.clientSecret } : row);
  }
  return rows;
}

export const configImportCommand: CliCommand = {
  name: 'config import',
  description: 'validate a configuration file (default CONFIG_FILE) and upsert its clients, resources and external providers into the database store',
  access: 'writes',
  // provider client secrets are stored protected by data protection
  imports: [DataProtectionModule],
  options: [JSON_OPTION],
  arguments: [{ name: 'FILE', description: 'the configuration file (default: CONFIG_FILE)', optional: true }],
  async run(app, args, out) {
    return refusing(out, async () => {
      const store = requireDatabaseStore(app, 'config import writes the database configuration store: set CONFIGURATION_STORE=database (with the file store, CONFIG_FILE is the configuration)');
      const path = args.argv[0] ?? app.get<AppConfig>(APP_CONFIG).configFile;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new CommandRefused(`cannot read "${path}": ${error instanceof Error ? error.message : String(error)}`);
      }
      const { text: marked, withoutSecrets } = markClientsWithoutSecrets(text);
      const file = await parseIdentityConfig(marked, path, app.get(SupportedGrantTypes).names);
      const dataSource = app.get(DataSource);
      const counts = await dataSource.transaction(async (manager) => ({
        clients: await upsert(manager, ConfigurationClientEntity, 'clientId', await keepStoredSecrets(manager, file, withoutSecrets)),
        identityResources: await upsert(manager, ConfigurationIdentityResourceEntity, 'name', file.identityResources.map(scopeToRow)),
        apiScopes: await upsert(manager, ConfigurationApiScopeEntity, 'name', file.apiScopes.map(scopeToRow)),
        apiResources: await upsert(manager, ConfigurationApiResourceEntity, 'name', await keepStoredApiSecrets(manager, file.apiResources)),
        externalProviders: await upsert(manager, ConfigurationExternalProviderEntity, 'scheme', await protectedProviderRows(manager, file.externalProviders, app)),
      }));
      await store.configurationChanged();
      if (args.json) {
        out.json(counts);
        return 0;
      }
      for (const [what, c] of Object.entries(counts)) out.line(`${what}: ${c.created} created, ${c.updated} updated`);
      return 0;
    });
  },
};

// ---------------------------------------------------------------- clients

async function findClient(app: INestApplicationContext, clientId: string): Promise<Client> {
  const { clients } = await currentConfiguration(app);
  const client = clients.find((c) => c.clientId === clientId);
  if (!client) throw new CommandRefused(`no client "${clientId}" in the configuration store`);
  return client;
}

function secretSummary(secret: ClientSecret, index: number): Record<string, unknown> {
  return { index, type: secret.type, expiration: secret.expiration?.toISOString() ?? null };
}

export const clientsListCommand: CliCommand = {
  name: 'clients list',
  description: "the configuration store's clients: id, name, enabled, grant types",
  access: 'read-only',
  options: [JSON_OPTION],
  async run(app, args, out) {
    const { clients } = await currentConfiguration(app);
    if (args.json) {
      out.json({ clients: clients.map((c) => ({ clientId: c.clientId, clientName: c.clientName ?? null, enabled: c.enabled, allowedGrantTypes: c.allowedGrantTypes })) });
      return 0;
    }
    if (clients.length === 0) {
      out.line('No clients.');
      return 0;
    }
    for (const c of clients) out.line(`${c.clientId}  ${c.clientName ?? '-'}  ${c.enabled ? 'enabled' : 'disabled'}  ${c.allowedGrantTypes.join(',')}`);
    return 0;
  },
};

export const clientsShowCommand: CliCommand = {
  name: 'clients show',
  description: 'one client of the configuration store; secrets by index, type and expiration, never their values',
  access: 'read-only',
  options: [JSON_OPTION],
  arguments: [{ name: 'ID', description: 'the clientId' }],
  async run(app, args, out) {
    return refusing(out, async () => {
      const client = await findClient(app, args.argv[0]);
      const shown = { ...clientJson(client), clientSecrets: client.clientSecrets.map(secretSummary) };
      if (args.json) {
        out.json(shown);
        return 0;
      }
      for (const [field, value] of Object.entries(shown)) {
        if (field === 'clientSecrets') continue;
        out.line(`${field}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
      }
      out.line(`clientSecrets: ${client.clientSecrets.length === 0 ? 'none' : ''}`.trimEnd());
      for (const [index, secret] of client.clientSecrets.entries()) {
        out.line(`  [${index}] ${secret.type}, ${secret.expiration ? `expires ${secret.expiration.toISOString()}` : 'no expiration'}`);
      }
      return 0;
    });
  },
};

/** Reads, changes and writes one client row in a transaction, then tells the servers. */
async function changeClient(
  app: INestApplicationContext, clientId: string, change: (client: Client) => Client | undefined,
): Promise<void> {
  const store = requireDatabaseStore(app);
  await app.get(DataSource).transaction(async (manager) => {
    const repository = manager.getRepository<ConfigurationClientRow>(ConfigurationClientEntity);
    const row = await repository.findOneBy({ clientId });
    if (!row) throw new CommandRefused(`no client "${clientId}" in the configuration store`);
    const changed = change(rowToClient(row));
    if (changed) await repository.save(clientToRow(changed, row.position));
    else await repository.delete({ clientId });
  });
  await store.configurationChanged();
}

export const clientsRemoveCommand: CliCommand = {
  name: 'clients remove',
  description: 'remove a client from the database configuration store',
  access: 'writes',
  options: [JSON_OPTION],
  arguments: [{ name: 'ID', description: 'the clientId' }],
  async run(app, args, out) {
    return refusing(out, async () => {
      await changeClient(app, args.argv[0], () => undefined);
      if (args.json) out.json({ clientId: args.argv[0] });
      else out.line(`Removed client ${args.argv[0]}.`);
      return 0;
    });
  },
};

/** ≥ 32 random bytes, base64url: what `clients secret add` generates. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const clientsSecretAddCommand: CliCommand = {
  name: 'clients secret add',
  description: 'add a shared secret to a client (a generated value is printed once when --value is absent); only its hash is stored',
  access: 'writes',
  options: [
    { name: 'value', value: 'V', description: 'the secret (default: 32 random bytes, base64url, printed once)' },
    { name: 'expires', value: 'DURATION', description: 'expire the secret after this long (90d, 12h, …)' },
    JSON_OPTION,
  ],
  arguments: [{ name: 'ID', description: 'the clientId' }],
  async run(app, args, out) {
    return refusing(out, async () => {
      const given = args.options?.value;
      const expiresText = args.options?.expires;
      let expiration: Date | undefined;
      if (typeof expiresText === 'string') {
        const ms = parseDuration(expiresText);
        if (ms === undefined || ms <= 0) throw new CommandRefused(`--expires: "${expiresText}" is not a duration (e.g. 90d, 12h, 30m)`);
        expiration = new Date(Date.now() + ms);
      }
      if (given === '') throw new CommandRefused('--value: must not be empty');
      const value = typeof given === 'string' ? given : generateSecret();
      const secret: ClientSecret = {
        type: 'SharedSecret', sha256: createHash('sha256').update(value, 'utf8').digest(), ...(expiration && { expiration }),
      };
      let index = -1;
      await changeClient(app, args.argv[0], (client) => {
        index = client.clientSecrets.length;
        return { ...client, clientSecrets: [...client.clientSecrets, secret] };
      });
      const generated = typeof given !== 'string';
      if (args.json) {
        out.json({ clientId: args.argv[0], index, expiration: expiration?.toISOString() ?? null, ...(generated && { value }) });
        return 0;
      }
      out.line(`Added secret [${index}] to client ${args.argv[0]}${expiration ? `, expiring ${expiration.toISOString()}` : ''}.`);
      if (generated) out.line(`Secret (shown only now; only its hash is stored): ${value}`);
      return 0;
    });
  },
};

export const clientsSecretRemoveCommand: CliCommand = {
  name: 'clients secret remove',
  description: 'remove a client secret by its index (as `clients show` lists it)',
  access: 'writes',
  options: [JSON_OPTION],
  arguments: [{ name: 'ID', description: 'the clientId' }, { name: 'INDEX', description: 'the secret index from `clients show`' }],
  async run(app, args, out) {
    return refusing(out, async () => {
      const [clientId, indexText] = args.argv;
      const index = /^\d+$/.test(indexText) ? Number(indexText) : -1;
      await changeClient(app, clientId, (client) => {
        if (index < 0 || index >= client.clientSecrets.length) {
          throw new CommandRefused(`client "${clientId}" has no secret [${indexText}] (it has ${client.clientSecrets.length}; see \`clients show ${clientId}\`)`);
        }
        return { ...client, clientSecrets: client.clientSecrets.filter((_, i) => i !== index) };
      });
      if (args.json) out.json({ clientId, index });
      else out.line(`Removed secret [${index}] from client ${clientId}.`);
      return 0;
    });
  },
};

export const CONFIGURATION_STORE_COMMANDS: readonly CliCommand[] = [
  configImportCommand, configExportCommand,
  clientsListCommand, clientsShowCommand, clientsRemoveCommand, clientsSecretAddCommand, clientsSecretRemoveCommand,
];
