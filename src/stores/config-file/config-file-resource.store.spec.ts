import { parseIdentityConfig } from './identity-config.loader';
import { ConfigFileResourceStore } from './config-file-resource.store';

async function aStore(): Promise<ConfigFileResourceStore> {
  const file = {
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', userClaims: ['name'] },
      { name: 'email', userClaims: ['email'] },
    ],
    apiScopes: [{ name: 'api1' }, { name: 'api2' }, { name: 'shared' }, { name: 'orphan' }],
    apiResources: [
      { name: 'urn:api1', scopes: ['api1', 'shared'] },
      { name: 'urn:api2', scopes: ['api2', 'shared'], apiSecrets: [{ value: 'api2-secret' }] },
    ],
  };
  return new ConfigFileResourceStore(await parseIdentityConfig(JSON.stringify(file), 'test.json'));
}

const names = (items: readonly { name: string }[]) => items.map((i) => i.name);

describe('ConfigFileResourceStore', () => {
  it('getAllResources, should return everything configured', async () => {
    const all = await (await aStore()).getAllResources();
    expect(names(all.identityResources)).toEqual(['openid', 'profile', 'email']);
    expect(names(all.apiScopes)).toEqual(['api1', 'api2', 'shared', 'orphan']);
    expect(names(all.apiResources)).toEqual(['urn:api1', 'urn:api2']);
  });

  it('findIdentityResourcesByScopeName, should return the named ones, skipping unknown and repeated names', async () => {
    const store = await aStore();
    expect(names(await store.findIdentityResourcesByScopeName(['email', 'openid', 'api1', 'nope', 'email']))).toEqual(['email', 'openid']);
    expect(await store.findIdentityResourcesByScopeName([])).toEqual([]);
  });

  it('findApiScopesByName, should return only API scopes', async () => {
    const store = await aStore();
    expect(names(await store.findApiScopesByName(['openid', 'api2', 'api1']))).toEqual(['api2', 'api1']);
  });

  it('findApiResourcesByScopeName, when two resources share a scope, should return each once', async () => {
    const store = await aStore();
    expect(names(await store.findApiResourcesByScopeName(['shared']))).toEqual(['urn:api1', 'urn:api2']);
    expect(names(await store.findApiResourcesByScopeName(['api2', 'shared', 'api1']))).toEqual(['urn:api2', 'urn:api1']);
    expect(await store.findApiResourcesByScopeName(['orphan', 'openid'])).toEqual([]);
  });

  it('findApiResourcesByName, should return the named resources with hashed secrets', async () => {
    const store = await aStore();
    const [api2] = await store.findApiResourcesByName(['urn:api2', 'urn:unknown']);
    expect(api2).toMatchObject({ name: 'urn:api2', scopes: ['api2', 'shared'] });
    expect(api2.apiSecrets[0].sha256).toHaveLength(32);
    expect(await store.findApiResourcesByName(['api1'])).toEqual([]);
  });
});
