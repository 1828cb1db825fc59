import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { Clock } from '../common/clock';
import { FAILED_USER_CODE_WINDOW_MS, MAX_FAILED_USER_CODES, UserCodeAttemptsService } from './user-code-attempts.service';

class FakeClock extends Clock {
  constructor(public current: number) { super(); }
  now(): Date { return new Date(this.current); }
}

describe('UserCodeAttemptsService', () => {
  const setup = () => {
    const clock = new FakeClock(1_000_000);
    const cache = new InMemoryDistributedCache(clock);
    return { clock, cache, attempts: new UserCodeAttemptsService(cache) };
  };

  it('isLimited, when an address has fewer failures than the limit, should let it try', async () => {
    const { cache, attempts } = setup();
    for (let i = 1; i < MAX_FAILED_USER_CODES; i++) await attempts.recordFailure('203.0.113.7');
    expect(await attempts.isLimited('203.0.113.7')).toBe(false);
    cache.onModuleDestroy();
  });

  it('isLimited, when an address reached the limit, should refuse it but not other addresses', async () => {
    const { cache, attempts } = setup();
    await Promise.all(Array.from({ length: MAX_FAILED_USER_CODES }, () => attempts.recordFailure('203.0.113.7')));
    expect(await attempts.isLimited('203.0.113.7')).toBe(true);
    expect(await attempts.isLimited('198.51.100.1')).toBe(false);
    cache.onModuleDestroy();
  });

  it('isLimited, when the window has passed, should let the address try again', async () => {
    const { clock, cache, attempts } = setup();
    for (let i = 0; i < MAX_FAILED_USER_CODES; i++) await attempts.recordFailure('203.0.113.7');
    clock.current += FAILED_USER_CODE_WINDOW_MS + 1;
    expect(await attempts.isLimited('203.0.113.7')).toBe(false);
    cache.onModuleDestroy();
  });
});
