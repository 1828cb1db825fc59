import type { DataSource, EntityManager } from 'typeorm';
import type { Client, ExternalProvider, Resources } from '../models';
import {
  ConfigurationApiResourceEntity, ConfigurationApiScopeEntity, ConfigurationClientEntity, ConfigurationExternalProviderEntity,
  ConfigurationIdentityResourceEntity, ConfigurationVersionEntity, type ConfigurationApiResourceRow, type ConfigurationClientRow,
  type ConfigurationExternalProviderRow, type ConfigurationScopeRow, type ConfigurationVersionRow,
} from './configuration.entities';
import {
  apiResourceToRow, clientToRow, externalProviderToRow, rowToApiResource, rowToClient, rowToExternalProvider, rowToScope, scopeToRow,
  type ConfigurationSnapshot,
} from './configuration-rows';

const ORDER = { position: 'ASC', name: 'ASC' } as const;

/** Reads the whole configuration store (five queries, one snapshot). */
export async function readConfigurationTables(dataSource: DataSource | EntityManager): Promise<ConfigurationSnapshot> {
  const manager = 'manager' in dataSource ? dataSource.manager : dataSource;
  const [clients, identityResources, apiScopes, apiResources, externalProviders] = await Promise.all([
    manager.getRepository<ConfigurationClientRow>(ConfigurationClientEntity).find({ order: { position: 'ASC', clientId: 'ASC' } }),
    manager.getRepository<ConfigurationScopeRow>(ConfigurationIdentityResourceEntity).find({ order: ORDER }),
    manager.getRepository<ConfigurationScopeRow>(ConfigurationApiScopeEntity).find({ order: ORDER }),
    manager.getRepository<ConfigurationApiResourceRow>(ConfigurationApiResourceEntity).find({ order: ORDER }),
    manager.getRepository<ConfigurationExternalProviderRow>(ConfigurationExternalProviderEntity).find({ order: { position: 'ASC', scheme: 'ASC' } }),
  ]);
  return {
    clients: clients.map(rowToClient),
    resources: {
      identityResources: identityResources.map(rowToScope),
      apiScopes: apiScopes.map(rowToScope),
      apiResources: apiResources.map(rowToApiResource),
    },
    externalProviders: externalProviders.map(rowToExternalProvider),
  };
}

/** Whether the store holds nothing at all (then it is seeded from CONFIG_FILE). */
export async function configurationTablesEmpty(manager: EntityManager): Promise<boolean> {
  for (const entity of [
    ConfigurationClientEntity, ConfigurationIdentityResourceEntity, ConfigurationApiScopeEntity, ConfigurationApiResourceEntity,
    ConfigurationExternalProviderEntity,
  ]) {
    if (await manager.getRepository(entity).count() > 0) return false;
  }
  return true;
}

/**
 * Inserts clients, resources and external providers (CONFIG_FILE order kept in `position`);
 * the providers' secrets must already be protected (protectExternalProviderSecret).
 */
export async function insertConfiguration(
  manager: EntityManager, clients: readonly Client[], resources: Resources, externalProviders: readonly ExternalProvider[] = [],
): Promise<void> {
  const rows = {
    externalProviders: externalProviders.map(externalProviderToRow),
    clients: clients.map(clientToRow),
    identityResources: resources.identityResources.map(scopeToRow),
    apiScopes: resources.apiScopes.map(scopeToRow),
    apiResources: resources.apiResources.map(apiResourceToRow),
  };
  if (rows.clients.length > 0) await manager.getRepository(ConfigurationClientEntity).insert(rows.clients);
  if (rows.identityResources.length > 0) await manager.getRepository(ConfigurationIdentityResourceEntity).insert(rows.identityResources);
  if (rows.apiScopes.length > 0) await manager.getRepository(ConfigurationApiScopeEntity).insert(rows.apiScopes);
  if (rows.apiResources.length > 0) await manager.getRepository(ConfigurationApiResourceEntity).insert(rows.apiResources);
  if (rows.externalProviders.length > 0) await manager.getRepository(ConfigurationExternalProviderEntity).insert(rows.externalProviders);
}

/** The one row of `configuration_version`. */
const VERSION_ROW = 1;

/** The store's version (one indexed read of one row); undefined when its row is missing. */
export async function readConfigurationVersion(dataSource: DataSource | EntityManager): Promise<number | undefined> {
  const manager = 'manager' in dataSource ? dataSource.manager : dataSource;
  const row = await manager.getRepository<ConfigurationVersionRow>(ConfigurationVersionEntity).findOneBy({ id: VERSION_ROW });
  return row?.version;
}

/**
 * Raises the store's version by one (in `manager`'s transaction when it has one). The update takes
 * the row's lock, so concurrent changes each move it.
 */
export async function raiseConfigurationVersion(dataSource: DataSource | EntityManager, now: Date): Promise<void> {
  const run = async (manager: EntityManager): Promise<void> => {
    const repository = manager.getRepository<ConfigurationVersionRow>(ConfigurationVersionEntity);
    const updated = await repository.createQueryBuilder().update()
      .set({ version: () => 'version + 1', changedAt: now })
      .where('id = :id', { id: VERSION_ROW })
      .execute();
    // The migration inserts the row; this restores one removed by hand.
    if (!updated.affected) await repository.insert({ id: VERSION_ROW, version: 1, changedAt: now });
  };
  if ('manager' in dataSource) return dataSource.transaction(run);
  return dataSource.queryRunner?.isTransactionActive ? run(dataSource) : dataSource.transaction(run);
}
