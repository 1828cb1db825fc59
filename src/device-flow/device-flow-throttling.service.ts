import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DistributedCache } from '../caching/distributed-cache';

/** The polling interval we announce in the device authorization response (RFC 8628 §3.2 default). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 5;

/** RFC 8628 §3.5: on slow_down "the interval MUST be increased by 5 seconds for all subsequent requests". */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

/**
 * RFC 8628 §3.5 polling, in the distributed cache so slow_down holds whichever instance the device
 * reaches (docs/endpoints.md). A poll is let through only by atomically creating the device's
 * "polled" entry, which lives for the current interval: of any number of concurrent polls exactly
 * one passes. A poll that finds the entry answers slow_down, counts one more slow-down (atomic
 * increment; each raises the interval by 5 s) and restarts the wait, as in Duende's
 * DeviceFlowThrottlingService.
 */
@Injectable()
export class DeviceFlowThrottlingService {
  constructor(private readonly cache: DistributedCache, private readonly clock: Clock) {}

  /** Records this poll; true when it came too early and must be answered with slow_down. */
  async shouldSlowDown(deviceCodeHash: string, expiration: Date): Promise<boolean> {
    const polled = `device-flow:polled:${deviceCodeHash}`;
    const slowDowns = `device-flow:slow-downs:${deviceCodeHash}`;
    // Keep the state as long as the device code lives (at least a little, for clock edges).
    const lifetimeMs = Math.max(expiration.getTime() - this.clock.now().getTime(), 1_000);
    const counted = Number(await this.cache.get(slowDowns) ?? 0);
    if (await this.cache.addIfAbsent(polled, '1', intervalMs(Number.isFinite(counted) ? counted : 0))) return false;
    const count = await this.cache.increment(slowDowns, lifetimeMs);
    await this.cache.set(polled, '1', intervalMs(count));
    return true;
  }
}

function intervalMs(slowDowns: number): number {
  return (DEFAULT_POLLING_INTERVAL_SECONDS + SLOW_DOWN_INCREMENT_SECONDS * slowDowns) * 1000;
}
