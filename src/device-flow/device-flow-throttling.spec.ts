import { decidePolling, parsePollingState, SLOW_DOWN_INCREMENT_SECONDS } from './device-flow-throttling';

describe('decidePolling', () => {
  it('when the device never polled, should allow and remember the default interval', () => {
    expect(decidePolling(undefined, 1_000, 5)).toEqual({ slowDown: false, next: { lastPollAt: 1_000, intervalSeconds: 5 } });
  });

  it('when the device polls before the interval has passed, should slow it down by 5 s', () => {
    const d = decidePolling({ lastPollAt: 1_000, intervalSeconds: 5 }, 5_999, 5);
    expect(d.slowDown).toBe(true);
    expect(d.next).toEqual({ lastPollAt: 5_999, intervalSeconds: 5 + SLOW_DOWN_INCREMENT_SECONDS });
  });

  it('when the device waits exactly the interval, should allow', () => {
    expect(decidePolling({ lastPollAt: 1_000, intervalSeconds: 5 }, 6_000, 5).slowDown).toBe(false);
  });

  it('after a slow_down, should hold the device to the longer interval', () => {
    const first = decidePolling({ lastPollAt: 0, intervalSeconds: 5 }, 1_000, 5);
    expect(decidePolling(first.next, 1_000 + 9_999, 5).slowDown).toBe(true);
    const second = decidePolling(first.next, 1_000 + 10_000, 5);
    expect(second).toEqual({ slowDown: false, next: { lastPollAt: 11_000, intervalSeconds: 10 } });
  });

  it('when a device keeps polling too fast, should keep raising the interval', () => {
    let state = decidePolling(undefined, 0, 5).next;
    for (let i = 1; i <= 3; i++) state = decidePolling(state, i * 100, 5).next;
    expect(state.intervalSeconds).toBe(20);
  });
});

describe('parsePollingState', () => {
  it('should read what decidePolling produced', () => {
    expect(parsePollingState(JSON.stringify({ lastPollAt: 5, intervalSeconds: 10 }))).toEqual({ lastPollAt: 5, intervalSeconds: 10 });
  });

  it.each([undefined, 'not json', '{"lastPollAt":"x","intervalSeconds":5}', 'null', '[]'])(
    'when the stored value is %p, should treat the device as never polled', (value) => {
      expect(parsePollingState(value)).toBeUndefined();
    });
});
