import { IdentityConfigurationHolder } from './identity-configuration.holder';
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
  return new ConfigFileResourceStore(new IdentityConfigurationHolder(await parseIdentityConfig(JSON.stringify(file), 'test.json')));
}

const names = (items: readonly { name: string }[]) => items.map((i) => i.name);

describe('ConfigFileResourceStore', () => {
  it('getAllResources, should return everything configured', async () => {
    const all = await (await aStore()).getAllResources();
    expect(names(all.identityResources)).toEqual(['openid', 'profile', 'email']);
    expect(names(all.apiScopes)).toEqual(['api1', 'api2', 'shared', 'orphan']);
    expect(names(all.apiResources)).toEqual(['urn:api1', 'urn:api2']);
  });

  it('getAllResources, should hold API resource secrets only as hashes', async () => {
    const { apiResources } = await (await aStore()).getAllResources();
    const api2 = apiResources.find((api) => api.name === 'urn:api2');
    expect(api2).toMatchObject({ scopes: ['api2', 'shared'] });
    expect(api2?.apiSecrets[0].sha256).toHaveLength(32);
    expect(JSON.stringify(apiResources)).not.toContain('api2-secret');
  });
});
