import type { Resources } from './models';

/**
 * The identity resources, API scopes and API resources. The server asks for all of them at once
 * and indexes them itself (ResourceCatalog caches the index), so this is the whole contract.
 */
export abstract class ResourceStore {
  abstract getAllResources(): Promise<Resources>;
}
