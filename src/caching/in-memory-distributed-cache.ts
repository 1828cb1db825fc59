import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DistributedCache } from './distributed-cache';

interface Entry {
  readonly value: string;
  readonly expiresAt: number;
}

/** How often expired entries are swept, so keys that are never read again do not pile up. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The default cache: local to one process. Correct for a single instance; several instances
 * sharing a database need REDIS_URL so replay detection holds across them.
 */
@Injectable()
export class InMemoryDistributedCache extends DistributedCache implements OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly clock: Clock) {
    super();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async addIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    // Single-threaded: check and insert happen without an await in between, so this is atomic.
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlMs });
    return true;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    // Single-threaded: read and write happen without an await in between, so this is atomic.
    const entry = this.live(key);
    if (!entry && by < 0) return 0;
    const count = (entry ? Number(entry.value) || 0 : 0) + by;
    this.entries.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? this.clock.now().getTime() + ttlMs });
    return count;
  }

  async compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean> {
    // Single-threaded: compare and store happen without an await in between, so this is atomic.
    if (this.live(key)?.value !== expected) return false;
    this.entries.set(key, { value, expiresAt: this.clock.now().getTime() + ttlMs });
    return true;
  }

  async take(key: string): Promise<string | undefined> {
    const entry = this.live(key);
    this.entries.delete(key);
    return entry?.value;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
