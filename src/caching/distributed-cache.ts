import { Logger } from '@nestjs/common';

/** Receives one published message. A rejection or throw is logged, never propagated. */
export type MessageHandler = (message: string) => void | Promise<void>;

/** Ends a subscription. */
export type Unsubscribe = () => Promise<void>;

export interface SubscribeOptions {
  /**
   * Called when messages on the channel may have been lost: the connection to a shared broker
   * (Redis) was down and is back. Re-read whatever the messages announce. Never called by the
   * in-process default, which cannot lose messages.
   */
  readonly onMissedMessages?: () => void | Promise<void>;
}

/**
 * Cache shared by all instances (Redis) or local to one (in-process): replay cache,
 * device-flow throttling, pushed authorization requests; and publish/subscribe, so that one
 * instance (or the CLI) can tell every other one that something changed (signing keys).
 */
export abstract class DistributedCache {
  private readonly localHandlers = new Map<string, Set<MessageHandler>>();
  private readonly channelLogger = new Logger(DistributedCache.name);

  abstract get(key: string): Promise<string | undefined>;
  abstract set(key: string, value: string, ttlMs: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
  /** Atomically stores the value only when the key is absent; true when this call stored it. */
  abstract addIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomically stores `value` only when the key still holds `expected` (undefined: absent); true
   * when this call stored it. For read-decide-write state that concurrent requests share.
   */
  abstract compareAndSet(key: string, expected: string | undefined, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes (one-time values such as PAR request URIs). */
  abstract take(key: string): Promise<string | undefined>;
  /**
   * Atomically adds `by` (default 1) to the counter at `key` and returns the new count. The first
   * increment creates the counter with time to live `ttlMs`; later ones leave that expiry alone, so
   * the counter is a fixed window that starts at the first count (attempt limits). A negative `by`
   * on a counter that is gone (expired) creates none and returns 0.
   */
  abstract increment(key: string, ttlMs: number, by?: number): Promise<number>;

  /**
   * Whether `publish` reaches other processes. The default reaches this process only: without a
   * shared broker, other instances learn of a change only when their own caches expire.
   */
  get reachesOtherInstances(): boolean {
    return false;
  }

  /**
   * Sends `message` to every subscriber of `channel` (fire and forget: handlers run after this
   * resolves). Resolves with how many subscribers it reached (for Redis, how many instances);
   * rejects when the broker is unreachable. The default delivers within this process.
   */
  async publish(channel: string, message: string): Promise<number> {
    const handlers = [...(this.localHandlers.get(channel) ?? [])];
    for (const handler of handlers) setImmediate(() => void this.deliver(channel, handler, message));
    return handlers.length;
  }

  /**
   * Calls `handler` with every message published on `channel` from now on, until the returned
   * function is called. Never rejects: when the broker is unreachable the subscription starts
   * once it is back (and `onMissedMessages` says so).
   */
  async subscribe(channel: string, handler: MessageHandler, _options: SubscribeOptions = {}): Promise<Unsubscribe> {
    let handlers = this.localHandlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.localHandlers.set(channel, handlers);
    }
    // A wrapper, so the same function subscribed twice gets two independent subscriptions.
    const entry: MessageHandler = (message) => handler(message);
    handlers.add(entry);
    return async () => {
      handlers.delete(entry);
      if (handlers.size === 0 && this.localHandlers.get(channel) === handlers) this.localHandlers.delete(channel);
    };
  }

  /** Runs one handler; its failure is logged with the channel and goes no further. */
  protected async deliver(channel: string, handler: MessageHandler, message: string): Promise<void> {
    try {
      await handler(message);
    } catch (error) {
      this.channelLogger.error(`A subscriber of channel ${channel} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
