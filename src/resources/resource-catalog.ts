import { Injectable, Optional } from '@nestjs/common';
import { Clock } from '../common/clock';
import { IdentityConfigurationHolder } from '../stores/config-file';
import { ResourceStore } from '../stores/resource.store';
import { DatabaseConfiguration } from '../stores/typeorm-config';
import type { ApiResource, ApiScope, IdentityResource, Resources } from '../stores/models';

/** Lookup maps over every defined resource, built once per load (hot path: every token request). */
export class ResourceIndex {
  readonly identityResources: ReadonlyMap<string, IdentityResource>;
  readonly apiScopes: ReadonlyMap<string, ApiScope>;
  readonly apiResources: ReadonlyMap<string, ApiResource>;
  /** API scope name → the API resources that include it (the token's audiences) */
  readonly apiResourcesByScope: ReadonlyMap<string, readonly ApiResource[]>;

  constructor(readonly resources: Resources) {
    this.identityResources = new Map(resources.identityResources.map((r) => [r.name, r]));
    this.apiScopes = new Map(resources.apiScopes.map((s) => [s.name, s]));
    this.apiResources = new Map(resources.apiResources.map((r) => [r.name, r]));
    const byScope = new Map<string, ApiResource[]>();
    for (const api of resources.apiResources) {
      for (const scope of api.scopes) {
        const list = byScope.get(scope) ?? [];
        list.push(api);
        byScope.set(scope, list);
      }
    }
    this.apiResourcesByScope = byScope;
  }
}

/** How long a loaded resource set is used before the store is asked again. */
export const RESOURCE_CACHE_MS = 60_000;

/**
 * Cached view of the ResourceStore. Resources change rarely (config file, admin changes), so one
 * load serves every request for a minute; a failed load is not cached. A reload of the
 * configuration file drops the cached index at once (docs/configuration-file.md, "Reloading").
 */
@Injectable()
export class ResourceCatalog {
  private cached?: { readonly loadedAt: number; readonly index: Promise<ResourceIndex> };

  /**
   * The index is dropped whenever the configuration changes: a reloaded CONFIG_FILE (`file`), or
   * a re-read of the configuration tables (CONFIGURATION_STORE=database, e.g. after a
   * `configuration-changed` notice), so this cache never holds a change back.
   */
  constructor(
    private readonly store: ResourceStore,
    private readonly clock: Clock,
    @Optional() file?: IdentityConfigurationHolder,
    @Optional() database?: DatabaseConfiguration,
  ) {
    file?.onReplaced(() => { this.cached = undefined; });
    database?.onReload(() => { this.cached = undefined; });
  }

  getIndex(): Promise<ResourceIndex> {
    const now = this.clock.now().getTime();
    if (this.cached && now - this.cached.loadedAt < RESOURCE_CACHE_MS) return this.cached.index;
    const index = this.store.getAllResources().then((resources) => new ResourceIndex(resources));
    const entry = { loadedAt: now, index };
    this.cached = entry;
    index.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return index;
  }

  async findApiResource(name: string): Promise<ApiResource | undefined> {
    return (await this.getIndex()).apiResources.get(name);
  }
}
