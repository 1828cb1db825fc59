import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AttemptCounterStore } from '../stores/attempt-counter.store';
import { isEarlyPoll, pollingIntervalMs } from './device-flow-throttling';

/**
 * Throttles each device's polling (RFC 8628 §3.5, docs/endpoints.md) with counters in the
 * AttemptCounterStore: Redis when REDIS_URL is set, else the database's `attempt_counters` table,
 * so slow_down holds whichever instance the device reaches, also without Redis. Every step is one
 * atomic count (never read, then write):
 * - `polls`: a fixed window of the device's current interval. The poll whose count is 1 opened it
 *   and is answered; any other poll inside it is early. Of N polls arriving at once, on any number
 *   of instances, exactly one is answered.
 * - `slow-downs`: how many slow_down answers the device got (for the code's whole lifetime); each
 *   adds 5 s to its interval for all later polls.
 * - `wait:<n>`: opened by the n-th slow_down with the grown interval, so an early poll restarts
 *   the wait from that poll, not from the last answered one.
 * Which poll is answered rests on the one `polls` count alone; the other two only size windows
 * and add slow_downs, so a slow_down counted at the same instant on another instance can at
 * worst leave one window short, never let two polls through in one window.
 */
@Injectable()
export class DeviceFlowThrottlingService {
  constructor(private readonly counters: AttemptCounterStore, private readonly clock: Clock) {}

  /** Records this poll; true when it came too early and must be answered with slow_down. */
  async shouldSlowDown(deviceCodeHash: string, expiration: Date): Promise<boolean> {
    // The slow_down count lives as long as the device code (at least a little, for clock edges).
    const lifetimeMs = Math.max(expiration.getTime() - this.clock.now().getTime(), 1_000);
    const slowDownsKey = `device-flow:slow-downs:${deviceCodeHash}`;
    // Counting 0 reads the count atomically; it sizes this poll's windows.
    const slowDowns = await this.counters.increment(slowDownsKey, lifetimeMs, 0);
    const waiting = slowDowns > 0 ? await this.counters.increment(waitKey(deviceCodeHash, slowDowns), pollingIntervalMs(slowDowns), 0) : 0;
    // A device still waiting out its slow_down is early whatever the polling window says: it
    // takes no count there, so the window is opened by the first poll after the wait.
    const polls = waiting > 0 ? 0 : await this.counters.increment(`device-flow:polls:${deviceCodeHash}`, pollingIntervalMs(slowDowns));
    if (!isEarlyPoll({ polls, waiting })) return false;

    const slowedDown = await this.counters.increment(slowDownsKey, lifetimeMs);
    await this.counters.increment(waitKey(deviceCodeHash, slowedDown), pollingIntervalMs(slowedDown));
    return true;
  }
}

function waitKey(deviceCodeHash: string, slowDowns: number): string {
  return `device-flow:wait:${deviceCodeHash}:${slowDowns}`;
}
