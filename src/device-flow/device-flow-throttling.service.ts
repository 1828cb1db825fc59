import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DistributedCache } from '../caching/distributed-cache';
import { decidePolling, parsePollingState } from './device-flow-throttling';

/** The polling interval we announce in the device authorization response (RFC 8628 §3.2 default). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 5;

/**
 * Remembers each device's last poll in the distributed cache, so slow_down holds whichever
 * instance the device reaches (docs/endpoints.md, RFC 8628 §3.5).
 */
@Injectable()
export class DeviceFlowThrottlingService {
  constructor(private readonly cache: DistributedCache, private readonly clock: Clock) {}

  /** Records this poll; true when it came too early and must be answered with slow_down. */
  async shouldSlowDown(deviceCodeHash: string, expiration: Date): Promise<boolean> {
    const key = `device-flow:polling:${deviceCodeHash}`;
    const now = this.clock.now().getTime();
    const decision = decidePolling(parsePollingState(await this.cache.get(key)), now, DEFAULT_POLLING_INTERVAL_SECONDS);
    // Keep the state as long as the device code lives (at least a little, for clock edges).
    await this.cache.set(key, JSON.stringify(decision.next), Math.max(expiration.getTime() - now, 1_000));
    return decision.slowDown;
  }
}
