import type { DeviceFlowThrottlingService } from '../../src/device-flow/device-flow-throttling.service';
import type { FakeClock } from './fakes/fake-clock';

export interface ThrottleUnderTest {
  readonly throttling: DeviceFlowThrottlingService;
  /** the clock of the service and of its counters' windows */
  readonly clock: FakeClock;
  close(): Promise<void>;
}

/**
 * RFC 8628 §3.5 polling throttle (docs/endpoints.md, device flow), on one AttemptCounterStore:
 * one poll per interval is answered, slow_down adds 5 s, and an early poll restarts the wait.
 * Time moves on the fake clock that the counters' windows are measured with.
 */
export function describePollingThrottle(name: string, create: () => Promise<ThrottleUnderTest>): void {
  describe(name, () => {
    let subject: ThrottleUnderTest;
    let expiration: Date;
    beforeEach(async () => {
      subject = await create();
      expiration = new Date(subject.clock.now().getTime() + 300_000);
    });
    afterEach(() => subject.close());

    const poll = (device = 'device-1'): Promise<boolean> => subject.throttling.shouldSlowDown(device, expiration);
    /** Polls `ms` after the previous step; resolves to true for slow_down. */
    const pollAfter = async (ms: number, device?: string): Promise<boolean> => {
      subject.clock.advance(ms);
      return poll(device);
    };

    it('shouldSlowDown, for the first poll and one after exactly the interval, should answer both', async () => {
      expect(await poll()).toBe(false);
      expect(await pollAfter(5_000)).toBe(false);
      expect(await pollAfter(5_000)).toBe(false);
    });

    it('shouldSlowDown, for many parallel polls of one device, should answer exactly one', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => poll()));
      expect(outcomes.filter((slowDown) => !slowDown)).toHaveLength(1);
    });

    it('shouldSlowDown, for a poll before the interval, should slow down; a device on the grown interval is answered again', async () => {
      expect(await poll()).toBe(false);
      expect(await pollAfter(4_999)).toBe(true); // the interval is now 10 s from this poll
      expect(await pollAfter(10_000)).toBe(false);
      // The 10 s hold for every later poll too, not only right after the slow_down.
      expect(await pollAfter(9_999)).toBe(true); // now 15 s
      expect(await pollAfter(15_000)).toBe(false);
    });

    it('shouldSlowDown, after a slow_down, should slow down a poll 5 s later and restart the longer wait from it', async () => {
      expect(await poll()).toBe(false);
      expect(await pollAfter(1_000)).toBe(true); // interval 10 s from here
      expect(await pollAfter(6_500)).toBe(true); // past 5 s but not 10 s: interval 15 s from here
      expect(await pollAfter(14_999)).toBe(true); // interval 20 s from here
      expect(await pollAfter(20_000)).toBe(false);
    });

    it('shouldSlowDown, should throttle each device on its own', async () => {
      expect(await poll('device-1')).toBe(false);
      expect(await poll('device-1')).toBe(true);
      expect(await poll('device-2')).toBe(false);
      expect(await pollAfter(5_000, 'device-2')).toBe(false);
    });
  });
}
