import type { AttemptCounterStore } from '../stores/attempt-counter.store';
import type { AppConfig } from '../config/app-config';
import { Clock } from '../common/clock';
import type { PersistedGrantStore } from '../stores/persisted-grant.store';
import type { DeviceFlowStore } from '../stores/device-flow.store';
import type { ServerSideSessionStore } from '../stores/server-side-session.store';
import { removeInBatches, TokenCleanupService, type LoadMeter } from './token-cleanup.service';

class FixedClock extends Clock {
  constructor(private readonly instant: Date) { super(); }
  now(): Date { return this.instant; }
}

/** A fake store holding `expired` rows; records each call's arguments. */
function fakeStore(expired: number) {
  let left = expired;
  const calls: Array<{ now: Date; batchSize: number }> = [];
  return {
    calls,
    get left() { return left; },
    async removeExpired(now: Date, batchSize: number): Promise<number> {
      calls.push({ now, batchSize });
      const removed = Math.min(left, batchSize);
      left -= removed;
      return removed;
    },
  };
}

function service(batchSize: number, grants: number, devices: number, sessions: number, counters = 0) {
  const now = new Date('2026-01-01T00:00:00Z');
  const stores = { grants: fakeStore(grants), devices: fakeStore(devices), sessions: fakeStore(sessions), counters: fakeStore(counters) };
  const config = { database: { url: 'sqlite::memory:' }, tokenCleanup: { interval: 3_600_000, batchSize } } as unknown as AppConfig;
  const svc = new TokenCleanupService(
    config,
    new FixedClock(now),
    stores.grants as unknown as PersistedGrantStore,
    stores.devices as unknown as DeviceFlowStore,
    stores.sessions as unknown as ServerSideSessionStore,
    stores.counters as unknown as AttemptCounterStore,
  );
  return { svc, stores, now };
}

describe('removeInBatches', () => {
  it('when a batch is full, should ask again until a short batch', async () => {
    const store = fakeStore(25);
    expect(await removeInBatches((n, b) => store.removeExpired(n, b), new Date(), 10)).toBe(25);
    expect(store.calls.map((c) => c.batchSize)).toEqual([10, 10, 10]);
  });

  it('when the count is an exact multiple, should stop after the empty batch', async () => {
    const store = fakeStore(20);
    expect(await removeInBatches((n, b) => store.removeExpired(n, b), new Date(), 10)).toBe(20);
    expect(store.calls).toHaveLength(3);
  });

  it('between full batches, should let the event loop serve other work (a synchronous driver never would)', async () => {
    // The store answers at once, like better-sqlite3: only the cleanup's own pause lets I/O in.
    const store = fakeStore(50);
    // Counts the event loop's turns until the cleanup is done (uncapped: a pause on a loaded
    // machine may last many turns).
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns += 1;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: number[] = [];
    const removed = await removeInBatches(async (n, b) => {
      seen.push(turns);
      return store.removeExpired(n, b);
    }, new Date(), 10);
    done = true;
    expect(removed).toBe(50);
    // Six batches (five full, one empty): the event loop turned before each one after the first.
    expect(seen[0]).toBe(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen).toHaveLength(6);
  });

  it('should pause after a full batch as long as the batch took, so cleanup takes at most about half of the time', async () => {
    const store = fakeStore(30);
    const starts: number[] = [];
    const ends: number[] = [];
    await removeInBatches(async (n, b) => {
      starts.push(performance.now());
      const until = performance.now() + 30;
      while (performance.now() < until) { /* a batch that keeps the thread 30 ms, like a synchronous driver */ }
      ends.push(performance.now());
      return store.removeExpired(n, b);
    }, new Date(), 10);
    // Between the end of a full batch and the start of the next: at least its 30 ms (timers may round down by 1 ms).
    for (let i = 1; i < starts.length; i++) expect(starts[i] - ends[i - 1]).toBeGreaterThanOrEqual(29);
  });

  /** Gaps between the end of one full batch and the start of the next, each batch busy for `busyMs`. */
  async function gapsWith(load: LoadMeter, busyMs: number): Promise<number[]> {
    const store = fakeStore(30);
    const starts: number[] = [];
    const ends: number[] = [];
    await removeInBatches(async (n, b) => {
      starts.push(performance.now());
      const until = performance.now() + busyMs;
      while (performance.now() < until) { /* a batch that keeps the thread, like a synchronous driver */ }
      ends.push(performance.now());
      return store.removeExpired(n, b);
    }, new Date(), 10, { load });
    return starts.slice(1).map((start, i) => start - ends[i]);
  }

  it('when requests keep the event loop busy, should pause ten times as long as the batch took', async () => {
    // Fully busy during every pause: the cleanup gets at most a tenth of the event loop.
    const gaps = await gapsWith(() => 1, 10);
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(99);
  });

  it('should size each pause by the load measured over the previous pause', async () => {
    // The meter is read before and after each pause; the first pause assumes a busy server.
    const readings = [0, 0, 0, 0.5, 0, 0];
    const gaps = await gapsWith(() => readings.shift() ?? 0, 10);
    // 10 × the batch, then 1 × (the first pause was idle), then 5.5 × (half busy).
    expect(gaps[0]).toBeGreaterThanOrEqual(99);
    expect(gaps[1]).toBeLessThan(50);
    expect(gaps[2]).toBeGreaterThanOrEqual(54);
  });

  it('with a time budget, should make the next batches smaller after one that held the thread too long, and larger again after short ones', async () => {
    const store = fakeStore(200);
    let perRowMs = 1;
    await removeInBatches(async (n, b) => {
      const until = performance.now() + b * perRowMs;
      while (performance.now() < until) { /* a synchronous batch: 1 ms per row, then none */ }
      // The rows got cheap: the batches may grow back.
      if (store.calls.length === 2) perRowMs = 0;
      return store.removeExpired(n, b);
    }, new Date(), 20, { load: () => 0, budgetMs: 5 });
    const sizes = store.calls.map((c) => c.batchSize);
    // 20 rows took 20 ms: 5 next (about 5 ms). Once fast, doubling back to the batch size, never past it.
    expect(sizes[0]).toBe(20);
    expect(sizes[1]).toBeLessThanOrEqual(5);
    expect(sizes[1]).toBeGreaterThanOrEqual(3);
    expect(sizes).toContain(20);
    expect(Math.max(...sizes)).toBe(20);
    expect(store.left).toBe(0);
  });

  it('when nothing is expired, should make one call', async () => {
    const store = fakeStore(0);
    expect(await removeInBatches((n, b) => store.removeExpired(n, b), new Date(), 10)).toBe(0);
    expect(store.calls).toHaveLength(1);
  });
});

describe('TokenCleanupService.removeExpired', () => {
  it('should empty every store in batches of TOKEN_CLEANUP_BATCH_SIZE with one "now"', async () => {
    const { svc, stores, now } = service(100, 250, 3, 100, 7);
    expect(await svc.removeExpired()).toEqual({ persistedGrants: 250, deviceCodes: 3, serverSideSessions: 100, attemptCounters: 7 });
    for (const store of Object.values(stores)) {
      expect(store.left).toBe(0);
      expect(store.calls.every((c) => c.batchSize === 100 && c.now === now)).toBe(true);
    }
  });

  it('when a store fails, should reject (the host logs it)', async () => {
    const { svc, stores } = service(10, 1, 1, 1);
    stores.devices.removeExpired = () => Promise.reject(new Error('database down'));
    await expect(svc.removeExpired()).rejects.toThrow('database down');
  });
});
