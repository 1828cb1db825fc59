/** The polling interval we announce in the device authorization response (RFC 8628 §3.2 default). */
export const DEFAULT_POLLING_INTERVAL_SECONDS = 5;

/** RFC 8628 §3.5: on slow_down "the interval MUST be increased by 5 seconds for all subsequent requests". */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

/** The interval a device must respect after `slowDowns` slow_down answers, in milliseconds. */
export function pollingIntervalMs(slowDowns: number): number {
  return (DEFAULT_POLLING_INTERVAL_SECONDS + SLOW_DOWN_INCREMENT_SECONDS * Math.max(0, slowDowns)) * 1000;
}

/** What the counters of one poll found (each read or taken with one atomic count). */
export interface PollCounts {
  /** this poll's count in the current polling window: 1 opened the window */
  readonly polls: number;
  /** the count in the wait that the device's latest slow_down opened: 0 when it has passed or there was none */
  readonly waiting: number;
}

/**
 * Whether a poll came too early: inside the interval since the last answered poll (it did not
 * open the polling window), or inside the longer interval since the latest slow_down (RFC 8628
 * §3.5: an early poll restarts the wait, as in Duende's DeviceFlowThrottlingService).
 */
export function isEarlyPoll(counts: PollCounts): boolean {
  return counts.waiting > 0 || counts.polls !== 1;
}
