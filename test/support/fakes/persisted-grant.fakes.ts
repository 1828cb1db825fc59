import { AsyncLocalStorage } from 'node:async_hooks';
import type { PersistedGrant, PersistedGrantFilter } from '../../../src/stores/models';
import { PersistedGrantStore } from '../../../src/stores/persisted-grant.store';

function matches(grant: PersistedGrant, filter: PersistedGrantFilter): boolean {
  return (filter.subjectId === undefined || grant.subjectId === filter.subjectId)
    && (filter.sessionId === undefined || grant.sessionId === filter.sessionId)
    && (filter.clientId === undefined || grant.clientId === filter.clientId)
    && (filter.type === undefined || grant.type === filter.type)
    && (filter.familyId === undefined || grant.familyId === filter.familyId);
}

/** The PersistedGrantStore contract in a Map (STYLE habit 9: a small hand-written fake). */
export class InMemoryPersistedGrantStore extends PersistedGrantStore {
  readonly rows = new Map<string, PersistedGrant>();

  async store(grant: PersistedGrant): Promise<void> { this.rows.set(grant.key, grant); }
  async get(key: string): Promise<PersistedGrant | undefined> { return this.rows.get(key); }
  async getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]> {
    return [...this.rows.values()].filter((grant) => matches(grant, filter));
  }
  async remove(key: string): Promise<void> { this.rows.delete(key); }
  async removeAll(filter: PersistedGrantFilter): Promise<void> {
    for (const grant of await this.getAll(filter)) this.rows.delete(grant.key);
  }
  async consume(key: string, when: Date, data?: string): Promise<boolean> {
    const grant = this.rows.get(key);
    if (!grant || grant.consumedTime) return false;
    this.rows.set(key, { ...grant, consumedTime: when, ...(data !== undefined && { data }) });
    return true;
  }
  async removeExpired(now: Date, batchSize: number): Promise<number> {
    const expired = [...this.rows.values()].filter((grant) => grant.expiration && grant.expiration.getTime() < now.getTime()).slice(0, batchSize);
    for (const grant of expired) this.rows.delete(grant.key);
    return expired.length;
  }
}

/**
 * Runs concurrent actors' store calls in a prescribed order, one call at a time: `schedule` names
 * the actor whose next call goes next ('W', 'L', …); an actor that has finished is skipped, and
 * once the schedule is spent everyone runs freely. Actors are told apart by `run(actor, work)`.
 */
export class Interleaving {
  private readonly actors = new AsyncLocalStorage<string>();
  private readonly waiting = new Map<string, () => void>();
  private readonly finished = new Set<string>();
  private position = 0;
  /** a scheduled call is running: nobody else goes until it is done */
  private busy = false;
  /** every store call made, as `actor:method`, in the order they ran */
  readonly trace: string[] = [];

  constructor(private readonly schedule: readonly string[]) {}

  async run<T>(actor: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.actors.run(actor, work);
    } finally {
      this.finished.add(actor);
      this.pump();
    }
  }

  /** Waits for the caller's turn, runs one store call, and hands the turn on. */
  async step<T>(method: string, call: () => Promise<T>): Promise<T> {
    const actor = this.actors.getStore();
    if (actor === undefined) return call();
    await new Promise<void>((resolve) => {
      this.waiting.set(actor, resolve);
      this.pump();
    });
    this.trace.push(`${actor}:${method}`);
    try {
      return await call();
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  private pump(): void {
    if (this.busy) return;
    for (;;) {
      const next = this.schedule[this.position];
      if (next === undefined) {
        for (const [actor, release] of this.waiting) {
          this.waiting.delete(actor);
          release();
        }
        return;
      }
      if (this.finished.has(next)) {
        this.position++;
        continue;
      }
      const release = this.waiting.get(next);
      if (!release) return;
      this.waiting.delete(next);
      this.position++;
      this.busy = true;
      release();
      return;
    }
  }
}

/** Delegates to a real store, every call through the interleaving (a unit fake or TypeORM alike). */
export class InterleavedPersistedGrantStore extends PersistedGrantStore {
  constructor(private readonly inner: PersistedGrantStore, private readonly interleaving: Interleaving) {
    super();
  }

  store(grant: PersistedGrant): Promise<void> { return this.interleaving.step('store', () => this.inner.store(grant)); }
  get(key: string): Promise<PersistedGrant | undefined> { return this.interleaving.step('get', () => this.inner.get(key)); }
  getAll(filter: PersistedGrantFilter): Promise<readonly PersistedGrant[]> { return this.interleaving.step('getAll', () => this.inner.getAll(filter)); }
  remove(key: string): Promise<void> { return this.interleaving.step('remove', () => this.inner.remove(key)); }
  removeAll(filter: PersistedGrantFilter): Promise<void> { return this.interleaving.step('removeAll', () => this.inner.removeAll(filter)); }
  consume(key: string, when: Date, data?: string): Promise<boolean> { return this.interleaving.step('consume', () => this.inner.consume(key, when, data)); }
  removeExpired(now: Date, batchSize: number): Promise<number> { return this.interleaving.step('removeExpired', () => this.inner.removeExpired(now, batchSize)); }
}

/** Every way of interleaving `a` steps of actor A with `b` steps of actor B. */
export function allSchedules(a: readonly [string, number], b: readonly [string, number]): string[][] {
  const [nameA, countA] = a;
  const [nameB, countB] = b;
  if (countA === 0) return [Array<string>(countB).fill(nameB)];
  if (countB === 0) return [Array<string>(countA).fill(nameA)];
  return [
    ...allSchedules([nameA, countA - 1], b).map((rest) => [nameA, ...rest]),
    ...allSchedules(a, [nameB, countB - 1]).map((rest) => [nameB, ...rest]),
  ];
}
