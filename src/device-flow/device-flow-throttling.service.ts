import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DistributedCache } from '../caching/distributed-cache';
import { decidePolling, parsePollingState } from './device-flow-throttling';

/** The polling interval we announce in the device authorization response (RFC 8628 §3.2 default). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 5;

/** Rounds of compare-and-set one poll tries before it is simply answered slow_down. */
const MAX_ROUNDS = 10;

/**
 * Remembers each device's last poll in the distributed cache, so slow_down holds whichever
 * instance the device reaches (docs/endpoints.md, RFC 8628 §3.5). The state is read, decided on
 * (decidePolling, on the server's Clock) and written back with one atomic compare-and-set: a poll
 * whose state changed meanwhile (a concurrent poll on any instance) decides again on the new state,
 * so of several polls arriving at once exactly one passes and the others get slow_down.
 */
@Injectable()
export class DeviceFlowThrottlingService {
  constructor(private readonly cache: DistributedCache, private readonly clock: Clock) {}

  /** Records this poll; true when it came too early and must be answered with slow_down. */
  async shouldSlowDown(deviceCodeHash: string, expiration: Date): Promise<boolean> {
    const key = `device-flow:polling:${deviceCodeHash}`;
    const now = this.clock.now().getTime();
    // Keep the state as long as the device code lives (at least a little, for clock edges).
    const ttlMs = Math.max(expiration.getTime() - now, 1_000);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stored = await this.cache.get(key);
      const decision = decidePolling(parsePollingState(stored), now, DEFAULT_POLLING_INTERVAL_SECONDS);
      if (await this.cache.compareAndSet(key, stored, JSON.stringify(decision.next), ttlMs)) return decision.slowDown;
    }
    // Outpaced by other polls of the same device round after round: it is polling far too fast.
    return true;
  }
}
