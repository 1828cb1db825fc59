/**
 * Cache shared by all instances (Redis) or local to one (in-process): replay cache,
 * device-flow throttling, pushed authorization requests.
 */
export abstract class DistributedCache {
  abstract get(key: string): Promise<string | undefined>;
  abstract set(key: string, value: string, ttlMs: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
  /** Atomically stores the value only when the key is absent; true when this call stored it. */
  abstract addIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes (one-time values such as PAR request URIs). */
  abstract take(key: string): Promise<string | undefined>;
}
