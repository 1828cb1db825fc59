import { IdentityConfigurationHolder } from './identity-configuration.holder';
import { parseIdentityConfig } from './identity-config.loader';
import { ConfigFileUserStore } from './config-file-user.store';

async function aStore(): Promise<ConfigFileUserStore> {
  const file = {
    users: [
      { subjectId: '1', username: 'alice', password: 'alice-pw', claims: { name: 'Alice Smith', email_verified: true } },
      { subjectId: '2', username: 'bob', password: 'bob-pw' },
    ],
  };
  return new ConfigFileUserStore(new IdentityConfigurationHolder(await parseIdentityConfig(JSON.stringify(file), 'test.json')));
}

describe('ConfigFileUserStore', () => {
  it('validateCredentials, when username and password are right, should return the user without any password data', async () => {
    const user = await (await aStore()).validateCredentials('alice', 'alice-pw');
    expect(user).toEqual({ subjectId: '1', username: 'alice', claims: { name: 'Alice Smith', email_verified: true } });
  });

  it('validateCredentials, when the password is wrong or belongs to another user, should return undefined', async () => {
    const store = await aStore();
    expect(await store.validateCredentials('alice', 'wrong')).toBeUndefined();
    expect(await store.validateCredentials('alice', 'bob-pw')).toBeUndefined();
    expect(await store.validateCredentials('alice', '')).toBeUndefined();
    expect(await store.validateCredentials('alice', 'ALICE-PW')).toBeUndefined();
  });

  it('validateCredentials, when the username is unknown or differs in case, should return undefined', async () => {
    const store = await aStore();
    expect(await store.validateCredentials('carol', 'alice-pw')).toBeUndefined();
    expect(await store.validateCredentials('Alice', 'alice-pw')).toBeUndefined();
    expect(await store.validateCredentials('__proto__', 'x')).toBeUndefined();
  });

  it('validateCredentials, when the username is unknown, should take as long as a wrong password (no existence oracle)', async () => {
    const store = await aStore();
    const median = async (attempt: () => Promise<unknown>): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await attempt();
        times.push(performance.now() - start);
      }
      return times.sort((a, b) => a - b)[2];
    };
    const knownUser = await median(() => store.validateCredentials('alice', 'guess'));
    const unknownUser = await median(() => store.validateCredentials('nobody', 'guess'));
    // Without the decoy check an unknown name answers in microseconds against scrypt's milliseconds;
    // the bound is loose so a busy machine does not make the test flaky.
    expect(knownUser).toBeGreaterThan(2);
    expect(unknownUser).toBeGreaterThan(knownUser * 0.3);
  });

  it('findBySubjectId, should return the user or undefined', async () => {
    const store = await aStore();
    expect(await store.findBySubjectId('2')).toEqual({ subjectId: '2', username: 'bob', claims: {} });
    expect(await store.findBySubjectId('3')).toBeUndefined();
  });
});
