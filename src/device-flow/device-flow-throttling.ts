/** What the cache remembers about a device's polling (RFC 8628 §3.5). */
export interface PollingState {
  /** when the device last polled (epoch ms) */
  readonly lastPollAt: number;
  /** the interval the device must now respect, in seconds */
  readonly intervalSeconds: number;
}

export interface PollingDecision {
  readonly slowDown: boolean;
  /** state to store, whatever the outcome */
  readonly next: PollingState;
}

/** RFC 8628 §3.5: on slow_down "the interval MUST be increased by 5 seconds for all subsequent requests". */
export const SLOW_DOWN_INCREMENT_SECONDS = 5;

/**
 * Decides whether a poll came too early. A poll before `lastPollAt + interval` answers
 * slow_down and raises the interval by 5 s; every poll (early or not) restarts the wait, as in
 * Duende's DeviceFlowThrottlingService.
 */
export function decidePolling(state: PollingState | undefined, nowMs: number, defaultIntervalSeconds: number): PollingDecision {
  const intervalSeconds = state?.intervalSeconds ?? defaultIntervalSeconds;
  if (state && nowMs < state.lastPollAt + intervalSeconds * 1000) {
    return { slowDown: true, next: { lastPollAt: nowMs, intervalSeconds: intervalSeconds + SLOW_DOWN_INCREMENT_SECONDS } };
  }
  return { slowDown: false, next: { lastPollAt: nowMs, intervalSeconds } };
}

/** Reads a stored state; anything unreadable counts as "never polled". */
export function parsePollingState(value: string | undefined): PollingState | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && 'lastPollAt' in parsed && 'intervalSeconds' in parsed
      && typeof parsed.lastPollAt === 'number' && typeof parsed.intervalSeconds === 'number') {
      return { lastPollAt: parsed.lastPollAt, intervalSeconds: parsed.intervalSeconds };
    }
    return undefined;
  } catch (error: unknown) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
