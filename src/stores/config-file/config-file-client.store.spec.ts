import { IdentityConfigurationHolder } from './identity-configuration.holder';
import { parseIdentityConfig } from './identity-config.loader';
import { ConfigFileClientStore } from './config-file-client.store';

function client(clientId: string, extra: Record<string, unknown> = {}) {
  return { clientId, clientSecrets: [{ value: 'secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'], ...extra };
}

async function storeWith(clients: unknown[]): Promise<ConfigFileClientStore> {
  const configuration = await parseIdentityConfig(JSON.stringify({ clients, apiScopes: [{ name: 'api1' }] }), 'test.json');
  return new ConfigFileClientStore(new IdentityConfigurationHolder(configuration));
}

describe('ConfigFileClientStore', () => {
  it('findClientById, when the client is configured, should return it with defaults applied', async () => {
    const store = await storeWith([client('a'), client('b', { accessTokenType: 'reference' })]);
    expect(await store.findClientById('b')).toMatchObject({ clientId: 'b', accessTokenType: 'reference', requirePkce: true });
    expect(await store.findClientById('a')).toMatchObject({ clientId: 'a', accessTokenType: 'jwt' });
  });

  it('findClientById, when the id is unknown or differs in case, should return undefined', async () => {
    const store = await storeWith([client('a')]);
    expect(await store.findClientById('c')).toBeUndefined();
    expect(await store.findClientById('A')).toBeUndefined();
    expect(await store.findClientById('')).toBeUndefined();
  });

  it('findClientById, when the client is disabled, should still return it (callers check enabled)', async () => {
    const store = await storeWith([client('off', { enabled: false })]);
    expect(await store.findClientById('off')).toMatchObject({ clientId: 'off', enabled: false });
  });

  it('findClientById, when the id is an Object.prototype member, should return undefined', async () => {
    const store = await storeWith([client('a')]);
    expect(await store.findClientById('constructor')).toBeUndefined();
    expect(await store.findClientById('__proto__')).toBeUndefined();
  });
});
