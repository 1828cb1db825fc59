import type { DatabaseConfiguration } from '../stores/typeorm-config';
import { HealthCheckRegistry } from './health-check.registry';
import { ConfigurationHealthIndicator } from './configuration.health';

function registered(active: boolean, status: ReturnType<DatabaseConfiguration['status']>): HealthCheckRegistry {
  const registry = new HealthCheckRegistry();
  const configuration = { active, status: () => status } as unknown as DatabaseConfiguration;
  new ConfigurationHealthIndicator(configuration, registry).onModuleInit();
  return registry;
}

describe('ConfigurationHealthIndicator (docs/health.md)', () => {
  it('with CONFIGURATION_STORE=file, should register nothing', () => {
    expect(registered(false, {}).list()).toEqual([]);
  });

  it('with the tables readable, should be up with the time of the copy', async () => {
    const [check] = registered(true, { loadedAt: new Date('2030-01-01T00:00:00Z') }).list();
    expect(await check.check()).toEqual({ configuration: { status: 'up', store: 'database', loadedAt: '2030-01-01T00:00:00.000Z' } });
  });

  it('during an outage, should stay up and say the last good copy serves, since when and why', async () => {
    const [check] = registered(true, {
      loadedAt: new Date('2030-01-01T00:00:00Z'),
      outage: { since: new Date('2030-01-01T00:05:00Z'), reason: 'connection refused' },
    }).list();
    expect(await check.check()).toEqual({
      configuration: {
        status: 'up', store: 'database', loadedAt: '2030-01-01T00:00:00.000Z',
        servingLastGoodCopy: true, since: '2030-01-01T00:05:00.000Z', reason: 'connection refused',
      },
    });
  });
});
