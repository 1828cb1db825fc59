import { Logger } from '@nestjs/common';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { Clock } from '../common/clock';
import { loadAppConfig } from '../config/app-config';
import { InMemoryDataProtectionKeyStore } from '../data-protection/in-memory-data-protection-key.store';
import { InstanceHeartbeatService } from './instance-heartbeat.service';
import { InstanceIdentity } from './instance-identity';
import type { InstanceRegistry } from './instance-registry';
import type { InstanceRow } from './instance.entity';

class StillClock extends Clock {
  now(): Date { return new Date('2030-01-01T00:00:00Z'); }
}

/** A registry whose database can go down. */
class FakeRegistry {
  down = false;
  readonly rows = new Map<string, InstanceRow>();
  async record(row: InstanceRow): Promise<void> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    this.rows.set(row.id, row);
  }
  async removeStale(): Promise<number> { return 0; }
  async remove(id: string): Promise<void> { this.rows.delete(id); }
}

function setup() {
  const registry = new FakeRegistry();
  const clock = new StillClock();
  const cache = new InMemoryDistributedCache(clock);
  const service = new InstanceHeartbeatService(registry as unknown as InstanceRegistry, new InstanceIdentity(), clock,
    new InMemoryDataProtectionKeyStore(), cache, loadAppConfig({ DATA_PROTECTION_APPLICATION_NAME: 'app' }));
  return { registry, service, cache };
}

describe('InstanceHeartbeatService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('beat, when the database is down, should log once per outage, never throw, and say when it recovers', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { registry, service, cache } = setup();
    registry.down = true;
    await service.beat();
    await service.beat();
    await service.beat();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toContain('ECONNREFUSED');
    registry.down = false;
    await service.beat();
    expect(logs).toHaveBeenCalledWith('Instance registry heartbeat recorded again');
    expect([...registry.rows.values()].map((r) => [r.applicationName, r.cacheKind, r.keyRingId])).toEqual([['app', 'in-process', 'empty']]);
    registry.down = true;
    await service.beat();
    expect(errors).toHaveBeenCalledTimes(2);
    cache.onModuleDestroy();
  });

  it('beforeApplicationShutdown, should remove its row and beat no more', async () => {
    const { registry, service, cache } = setup();
    await service.beat();
    expect(registry.rows.size).toBe(1);
    await service.beforeApplicationShutdown();
    expect(registry.rows.size).toBe(0);
    await service.beat();
    expect(registry.rows.size).toBe(0);
    cache.onModuleDestroy();
  });
});
