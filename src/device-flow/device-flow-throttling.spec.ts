import { DEFAULT_POLLING_INTERVAL_SECONDS, isEarlyPoll, pollingIntervalMs, SLOW_DOWN_INCREMENT_SECONDS } from './device-flow-throttling';

describe('pollingIntervalMs', () => {
  it('when the device was never slowed down, should be the announced interval', () => {
    expect(pollingIntervalMs(0)).toBe(DEFAULT_POLLING_INTERVAL_SECONDS * 1000);
  });

  it('after each slow_down, should be 5 s longer (RFC 8628 §3.5)', () => {
    expect(SLOW_DOWN_INCREMENT_SECONDS).toBe(5);
    expect(pollingIntervalMs(1)).toBe(10_000);
    expect(pollingIntervalMs(3)).toBe(20_000);
  });
});

describe('isEarlyPoll', () => {
  it('when the poll opened the polling window and no slow_down wait runs, should answer it', () => {
    expect(isEarlyPoll({ polls: 1, waiting: 0 })).toBe(false);
  });

  it('when another poll already opened the window, should be early', () => {
    expect(isEarlyPoll({ polls: 2, waiting: 0 })).toBe(true);
  });

  it('while the wait of a slow_down runs, should be early', () => {
    expect(isEarlyPoll({ polls: 0, waiting: 1 })).toBe(true);
    expect(isEarlyPoll({ polls: 1, waiting: 1 })).toBe(true);
  });
});
