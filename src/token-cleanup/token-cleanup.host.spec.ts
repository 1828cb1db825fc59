import { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config';
import type { DistributedCache } from '../caching/distributed-cache';
import type { TokenCleanupService } from './token-cleanup.service';
import { startJitterMs, TokenCleanupHost } from './token-cleanup.host';

function host(cleanup: () => Promise<unknown>, leased = true) {
  const config = { tokenCleanup: { interval: 3_600_000, batchSize: 100 } } as unknown as AppConfig;
  const cache = { addIfAbsent: jest.fn(async () => leased) } as unknown as DistributedCache;
  const svc = { removeExpired: jest.fn(cleanup) } as unknown as TokenCleanupService;
  return { host: new TokenCleanupHost(config, {} as SchedulerRegistry, svc, cache), svc };
}

describe('startJitterMs', () => {
  it('should stay within the interval and never exceed a minute', () => {
    expect(startJitterMs(10_000, 0.5)).toBe(5_000);
    expect(startJitterMs(3_600_000, 0.999)).toBeLessThan(60_000);
    expect(startJitterMs(3_600_000, 0)).toBe(0);
  });
});

describe('TokenCleanupHost.runOnce', () => {
  it('when the cleanup fails, should log and not throw', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { host: h } = host(() => Promise.reject(new Error('database down')));
    await expect(h.runOnce()).resolves.toBeUndefined();
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });

  it('when another instance holds the lease, should skip this round', async () => {
    const { host: h, svc } = host(() => Promise.resolve(), false);
    await h.runOnce();
    expect(svc.removeExpired).not.toHaveBeenCalled();
  });

  it('when it holds the lease, should run the cleanup', async () => {
    const { host: h, svc } = host(() => Promise.resolve(), true);
    await h.runOnce();
    expect(svc.removeExpired).toHaveBeenCalledTimes(1);
  });
});
