import { CacheAttemptCounterStore } from '../stores/attempt-counter.store';
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
    return { clock, cache, attempts: new UserCodeAttemptsService(new CacheAttemptCounterStore(cache)) };
  };

  it('reserve, of many parallel attempts from one address, should allow exactly the limit and not touch other addresses', async () => {
    const { cache, attempts } = setup();
    const outcomes = await Promise.all(Array.from({ length: 3 * MAX_FAILED_USER_CODES }, () => attempts.reserve('203.0.113.7')));
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(MAX_FAILED_USER_CODES);
    expect((await attempts.reserve('198.51.100.1')).allowed).toBe(true);
    cache.onModuleDestroy();
  });

  it('release, of right codes, should not count them against the address', async () => {
    const { cache, attempts } = setup();
    for (let i = 0; i < 3 * MAX_FAILED_USER_CODES; i++) {
      expect((await attempts.reserve('203.0.113.7')).allowed).toBe(true);
      await attempts.release('203.0.113.7');
    }
    cache.onModuleDestroy();
  });

  it('reserve, when the window has passed, should let the address try again', async () => {
    const { clock, cache, attempts } = setup();
    for (let i = 0; i < MAX_FAILED_USER_CODES; i++) await attempts.reserve('203.0.113.7');
    expect((await attempts.reserve('203.0.113.7')).allowed).toBe(false);
    clock.current += FAILED_USER_CODE_WINDOW_MS + 1;
    expect((await attempts.reserve('203.0.113.7')).allowed).toBe(true);
    cache.onModuleDestroy();
  });
});
