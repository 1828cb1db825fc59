import { Clock } from '../common/clock';
import { InMemoryDistributedCache } from './in-memory-distributed-cache';

class FakeClock extends Clock {
  constructor(public current = new Date('2026-01-01T00:00:00Z')) { super(); }
  now(): Date { return this.current; }
  advance(ms: number): void { this.current = new Date(this.current.getTime() + ms); }
}

describe('InMemoryDistributedCache', () => {
  let clock: FakeClock;
  let cache: InMemoryDistributedCache;
  beforeEach(() => { clock = new FakeClock(); cache = new InMemoryDistributedCache(clock); });
  afterEach(() => cache.onModuleDestroy());

  it('addIfAbsent, when the key is present, should refuse until the entry expires', async () => {
    expect(await cache.addIfAbsent('k', 'v', 1000)).toBe(true);
    expect(await cache.addIfAbsent('k', 'v', 1000)).toBe(false);
    clock.advance(1000);
    expect(await cache.addIfAbsent('k', 'v', 1000)).toBe(true);
  });

  it('take, when called twice, should return the value once', async () => {
    await cache.set('k', 'v', 1000);
    expect(await cache.take('k')).toBe('v');
    expect(await cache.take('k')).toBeUndefined();
  });

  it('get, after expiry or delete, should return undefined', async () => {
    await cache.set('a', '1', 10);
    await cache.set('b', '2', 1000);
    await cache.delete('b');
    clock.advance(10);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBeUndefined();
  });
});
