import { Clock } from '../common/clock';
import { IdentityConfigurationHolder } from '../stores/config-file';
import { parseIdentityConfig } from '../stores/config-file/identity-config.loader';
import { ResourceStore } from '../stores/resource.store';
import type { Resources } from '../stores/models';
import { RESOURCE_CACHE_MS, ResourceCatalog } from './resource-catalog';

class FakeClock extends Clock {
  constructor(public current = new Date('2026-01-01T00:00:00Z')) { super(); }
  now(): Date { return this.current; }
}

class CountingResourceStore extends ResourceStore {
  loads = 0;
  fail = false;
  async getAllResources(): Promise<Resources> {
    this.loads++;
    if (this.fail) throw new Error('store down');
    return { identityResources: [], apiScopes: [{ name: 'api1', userClaims: [] }], apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] }] };
  }
}

describe('ResourceCatalog', () => {
  it('getIndex, within the cache duration, should load the store once', async () => {
    const store = new CountingResourceStore();
    const clock = new FakeClock();
    const catalog = new ResourceCatalog(store, clock);
    await catalog.getIndex();
    expect((await catalog.getIndex()).apiResourcesByScope.get('api1')?.map((a) => a.name)).toEqual(['urn:api1']);
    expect(store.loads).toBe(1);
    clock.current = new Date(clock.current.getTime() + RESOURCE_CACHE_MS);
    await catalog.getIndex();
    expect(store.loads).toBe(2);
  });

  it('getIndex, when the configuration file is reloaded within the cache duration, should load the store again at once', async () => {
    const store = new CountingResourceStore();
    const holder = new IdentityConfigurationHolder(await parseIdentityConfig('{}', 'test.json'));
    const catalog = new ResourceCatalog(store, new FakeClock(), holder);
    await catalog.getIndex();
    await catalog.getIndex();
    expect(store.loads).toBe(1);
    holder.replace(await parseIdentityConfig('{}', 'test.json'));
    await catalog.getIndex();
    expect(store.loads).toBe(2);
  });

  it('getIndex, when a load fails, should not cache the failure', async () => {
    const store = new CountingResourceStore();
    const catalog = new ResourceCatalog(store, new FakeClock());
    store.fail = true;
    await expect(catalog.getIndex()).rejects.toThrow('store down');
    store.fail = false;
    expect(await catalog.findApiResource('urn:api1')).toMatchObject({ name: 'urn:api1' });
  });
});
