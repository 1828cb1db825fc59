import type { ApiResource, ApiScope, IdentityResource, Resources } from './models';

export abstract class ResourceStore {
  abstract getAllResources(): Promise<Resources>;
  abstract findIdentityResourcesByScopeName(names: readonly string[]): Promise<readonly IdentityResource[]>;
  abstract findApiScopesByName(names: readonly string[]): Promise<readonly ApiScope[]>;
  abstract findApiResourcesByScopeName(names: readonly string[]): Promise<readonly ApiResource[]>;
  abstract findApiResourcesByName(names: readonly string[]): Promise<readonly ApiResource[]>;
}
