import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { Clock } from '../common/clock';
import { DeviceFlowThrottlingService } from './device-flow-throttling.service';

class FakeClock extends Clock {
  constructor(public current: number) { super(); }
  now(): Date { return new Date(this.current); }
}

describe('DeviceFlowThrottlingService', () => {
  const setup = () => {
    const clock = new FakeClock(1_000_000);
    const cache = new InMemoryDistributedCache(clock);
    const expiration = new Date(clock.current + 300_000);
    const throttling = new DeviceFlowThrottlingService(cache, clock);
    return { clock, cache, poll: () => throttling.shouldSlowDown('device-1', expiration) };
  };

  it('the first poll, and one after exactly the interval, should pass', async () => {
    const { clock, cache, poll } = setup();
    expect(await poll()).toBe(false);
    clock.current += 5_000;
    expect(await poll()).toBe(false);
    cache.onModuleDestroy();
  });

  it('of many parallel polls, should let exactly one through', async () => {
    const { cache, poll } = setup();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => poll()));
    expect(outcomes.filter((slowDown) => !slowDown)).toHaveLength(1);
    cache.onModuleDestroy();
  });

  it('a poll before the interval, should slow the device down by 5 s, and every early poll restarts the wait', async () => {
    const { clock, cache, poll } = setup();
    expect(await poll()).toBe(false);
    clock.current += 4_999;
    expect(await poll()).toBe(true); // interval now 10 s from here
    clock.current += 9_999;
    expect(await poll()).toBe(true); // interval now 15 s from here
    clock.current += 15_000;
    expect(await poll()).toBe(false);
    clock.current += 14_999;
    expect(await poll()).toBe(true);
    cache.onModuleDestroy();
  });

  it('a state changed by a concurrent poll between read and write, should be decided again (never overwritten)', async () => {
    const { cache, poll } = setup();
    // Another instance's poll lands between this poll's read and its write.
    const get = cache.get.bind(cache);
    let raced = false;
    jest.spyOn(cache, 'get').mockImplementation(async (key) => {
      const value = await get(key);
      if (!raced) {
        raced = true;
        await cache.set(key, JSON.stringify({ lastPollAt: 1_000_000, intervalSeconds: 5 }), 60_000);
      }
      return value;
    });
    expect(await poll()).toBe(true);
    cache.onModuleDestroy();
  });
});
