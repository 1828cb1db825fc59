import { HealthCheckRegistry } from './health-check.registry';
import { HealthCheckTimeoutError } from './with-timeout';

describe('HealthCheckRegistry', () => {
  it('register, should list checks in registration order', async () => {
    const registry = new HealthCheckRegistry();
    registry.register('redis', async () => ({ redis: { status: 'up' } }));
    registry.register('deployment', async () => ({ deployment: { status: 'down' } }));
    expect(registry.list().map((c) => c.name)).toEqual(['redis', 'deployment']);
    expect(await registry.list()[0].check()).toEqual({ redis: { status: 'up' } });
  });

  it('register, when a name is taken, should refuse', () => {
    const registry = new HealthCheckRegistry();
    registry.register('redis', async () => ({ redis: { status: 'up' } }));
    expect(() => registry.register('redis', async () => ({ redis: { status: 'up' } }))).toThrow(/already registered/);
  });

  it('a registered check that hangs, should be down after its timeout', async () => {
    const registry = new HealthCheckRegistry();
    registry.register('slow', () => new Promise(() => undefined), { timeoutMs: 20 });
    expect(await registry.list()[0].check()).toEqual({ slow: { status: 'down', message: new HealthCheckTimeoutError(20).message } });
  });

  it('a registered check that throws, should be down with the message', async () => {
    const registry = new HealthCheckRegistry();
    registry.register('redis', async () => { throw new Error('ECONNREFUSED 127.0.0.1:6379'); });
    expect(await registry.list()[0].check()).toEqual({ redis: { status: 'down', message: 'ECONNREFUSED 127.0.0.1:6379' } });
  });
});
