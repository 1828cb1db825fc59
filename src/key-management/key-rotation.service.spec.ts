import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { KeyManager } from './key-manager.service';
import { KeyRotationService } from './key-rotation.service';
import { FakeClock, FakeDataProtectionProvider, InMemorySigningKeyStore, keyConfig } from '../../test/support/fakes/key-management.fakes';

class FailingStore extends InMemorySigningKeyStore {
  override async loadKeys(): Promise<never> {
    throw new Error('database is down');
  }
}

describe('KeyRotationService', () => {
  afterEach(() => Logger.overrideLogger(false));

  it('runOnce, when the store fails, should log the failure and not throw', async () => {
    const errors: string[] = [];
    Logger.overrideLogger({ error: (m: string) => errors.push(m), log: () => undefined, warn: () => undefined });
    const config = keyConfig();
    const manager = new KeyManager(new FailingStore(), new FakeClock(), config, new FakeDataProtectionProvider());
    const service = new KeyRotationService(manager, new SchedulerRegistry(), config);
    await expect(service.runOnce()).resolves.toBeUndefined();
    expect(errors.some((e) => e.includes('database is down'))).toBe(true);
  });

  it('onApplicationBootstrap should schedule the check on KEY_MANAGEMENT_CHECK_INTERVAL after a jitter, and stop on destroy', async () => {
    jest.useFakeTimers();
    try {
      Logger.overrideLogger(false);
      const config = keyConfig({ KEY_MANAGEMENT_CHECK_INTERVAL: '2s' });
      const store = new InMemorySigningKeyStore();
      const manager = new KeyManager(store, new FakeClock(), config, new FakeDataProtectionProvider());
      const ensure = jest.spyOn(manager, 'ensureKeys').mockResolvedValue([]);
      const registry = new SchedulerRegistry();
      const service = new KeyRotationService(manager, registry, config);
      service.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(2000); // jitter is below the interval
      expect(ensure).toHaveBeenCalledTimes(1);
      expect(registry.doesExist('interval', 'key-rotation')).toBe(true);
      await jest.advanceTimersByTimeAsync(4000);
      expect(ensure).toHaveBeenCalledTimes(3);
      await service.onModuleDestroy();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(ensure).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('onModuleDestroy, while a check is running, should wait for it so it never meets a closed database', async () => {
    const config = keyConfig();
    const manager = new KeyManager(new InMemorySigningKeyStore(), new FakeClock(), config, new FakeDataProtectionProvider());
    let finishCheck: () => void = () => undefined;
    jest.spyOn(manager, 'ensureKeys').mockReturnValue(new Promise((resolve) => {
      finishCheck = () => resolve([]);
    }));
    const service = new KeyRotationService(manager, new SchedulerRegistry(), config);
    const check = service.runOnce();
    let destroyed = false;
    const destroy = service.onModuleDestroy().then(() => {
      destroyed = true;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(destroyed).toBe(false);
    finishCheck();
    await Promise.all([check, destroy]);
    expect(destroyed).toBe(true);
  });
});
