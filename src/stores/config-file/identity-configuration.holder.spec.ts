import { parseIdentityConfig, type IdentityConfiguration } from './identity-config.loader';
import { IdentityConfigurationHolder } from './identity-configuration.holder';
import { ConfigFileClientStore } from './config-file-client.store';
import { ConfigFileResourceStore } from './config-file-resource.store';
import { ConfigFileUserStore } from './config-file-user.store';

async function version(clientIds: string[], extra: Record<string, unknown> = {}): Promise<IdentityConfiguration> {
  return parseIdentityConfig(JSON.stringify({
    clients: clientIds.map((clientId) => ({
      clientId, clientSecrets: [{ value: 'secret' }], allowedGrantTypes: ['client_credentials'], allowedScopes: ['api1'],
    })),
    apiScopes: [{ name: 'api1' }],
    ...extra,
  }), 'test.json');
}

describe('IdentityConfigurationHolder', () => {
  it('current, after replace, should be the new version, and listeners should be told once with it', async () => {
    const first = await version(['a']);
    const second = await version(['b']);
    const holder = new IdentityConfigurationHolder(first);
    const seen: IdentityConfiguration[] = [];
    holder.onReplaced((next) => seen.push(next));
    expect(holder.current).toBe(first);
    holder.replace(second);
    expect(holder.current).toBe(second);
    expect(seen).toEqual([second]);
  });

  it('replace, when a listener throws, should still serve the new version and tell the other listeners', async () => {
    const holder = new IdentityConfigurationHolder(await version(['a']));
    const told: string[] = [];
    holder.onReplaced(() => { throw new Error('boom'); });
    holder.onReplaced((next) => told.push(next.clients[0].clientId));
    const next = await version(['b']);
    expect(() => holder.replace(next)).not.toThrow();
    expect(holder.current).toBe(next);
    expect(told).toEqual(['b']);
  });

  it('onReplaced, once unregistered, should not be called again', async () => {
    const holder = new IdentityConfigurationHolder(await version(['a']));
    let calls = 0;
    const unsubscribe = holder.onReplaced(() => { calls += 1; });
    holder.replace(await version(['b']));
    unsubscribe();
    holder.replace(await version(['c']));
    expect(calls).toBe(1);
  });

  it('the config-file stores, after replace, should answer from the new version only', async () => {
    const holder = new IdentityConfigurationHolder(await version(['a'], {
      users: [{ subjectId: '1', username: 'alice', password: 'old' }],
    }));
    const clients = new ConfigFileClientStore(holder);
    const resources = new ConfigFileResourceStore(holder);
    const users = new ConfigFileUserStore(holder);
    expect(await clients.findClientById('a')).toMatchObject({ clientId: 'a' });
    const before = await resources.getAllResources();
    expect(await resources.getAllResources()).toBe(before);
    expect(await users.validateCredentials('alice', 'old')).toMatchObject({ subjectId: '1' });

    holder.replace(await version(['b'], {
      apiScopes: [{ name: 'api1' }, { name: 'api2' }],
      users: [{ subjectId: '1', username: 'alice', password: 'new' }],
    }));
    expect(await clients.findClientById('a')).toBeUndefined();
    expect(await clients.findClientById('b')).toMatchObject({ clientId: 'b' });
    const after = await resources.getAllResources();
    expect(after).not.toBe(before);
    expect(after.apiScopes.map((s) => s.name)).toEqual(['api1', 'api2']);
    expect(await users.validateCredentials('alice', 'old')).toBeUndefined();
    expect(await users.validateCredentials('alice', 'new')).toMatchObject({ subjectId: '1' });
  });
});
