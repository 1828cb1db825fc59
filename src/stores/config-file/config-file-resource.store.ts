import { Inject, Injectable } from '@nestjs/common';
import type { IdentityConfiguration } from './identity-config.loader';
import type { ApiResource, ApiScope, IdentityResource, Resources } from '../models';
import { ResourceStore } from '../resource.store';
import { IDENTITY_CONFIGURATION } from './identity-configuration.provider';

/** Looks each distinct name up in the index; unknown names are skipped, order follows the request. */
function lookUp<T>(index: ReadonlyMap<string, readonly T[]>, names: readonly string[]): T[] {
  const found = new Set<T>();
  for (const name of new Set(names)) for (const item of index.get(name) ?? []) found.add(item);
  return [...found];
}

function indexBy<T>(items: readonly T[], keys: (item: T) => readonly string[]): ReadonlyMap<string, readonly T[]> {
  const index = new Map<string, T[]>();
  for (const item of items) {
    for (const key of keys(item)) index.set(key, [...(index.get(key) ?? []), item]);
  }
  return index;
}

/** Identity resources, API scopes and API resources from the configuration file, indexed once. */
@Injectable()
export class ConfigFileResourceStore extends ResourceStore {
  private readonly all: Resources;
  private readonly identityByName: ReadonlyMap<string, readonly IdentityResource[]>;
  private readonly scopesByName: ReadonlyMap<string, readonly ApiScope[]>;
  private readonly apisByName: ReadonlyMap<string, readonly ApiResource[]>;
  private readonly apisByScope: ReadonlyMap<string, readonly ApiResource[]>;

  constructor(@Inject(IDENTITY_CONFIGURATION) configuration: IdentityConfiguration) {
    super();
    this.all = Object.freeze({
      identityResources: configuration.identityResources,
      apiScopes: configuration.apiScopes,
      apiResources: configuration.apiResources,
    });
    this.identityByName = indexBy(configuration.identityResources, (r) => [r.name]);
    this.scopesByName = indexBy(configuration.apiScopes, (s) => [s.name]);
    this.apisByName = indexBy(configuration.apiResources, (r) => [r.name]);
    this.apisByScope = indexBy(configuration.apiResources, (r) => r.scopes);
  }

  override async getAllResources(): Promise<Resources> {
    return this.all;
  }

  override async findIdentityResourcesByScopeName(names: readonly string[]): Promise<readonly IdentityResource[]> {
    return lookUp(this.identityByName, names);
  }

  override async findApiScopesByName(names: readonly string[]): Promise<readonly ApiScope[]> {
    return lookUp(this.scopesByName, names);
  }

  override async findApiResourcesByScopeName(names: readonly string[]): Promise<readonly ApiResource[]> {
    return lookUp(this.apisByScope, names);
  }

  override async findApiResourcesByName(names: readonly string[]): Promise<readonly ApiResource[]> {
    return lookUp(this.apisByName, names);
  }
}
