import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DistributedCache } from '../caching/distributed-cache';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** The channel every instance listens on for signing-key changes (prefixed with the application name in Redis). */
export const KEYS_CHANGED_CHANNEL = 'keys-changed';

/**
 * With a shared cache (REDIS_URL), how soon every running instance shows a key-set change in its
 * JWKS (docs/deployment.md, "Signing keys"): the message arrives in milliseconds and the store is
 * re-read at once; this is the bound we promise and test.
 */
export const NOTIFIED_PROPAGATION_MS = 10_000;

/** The `keys-changed` message. */
export interface KeySetChange {
  /** the process that wrote the store (it ignores its own message) */
  readonly origin: string;
  readonly created: readonly string[];
  readonly deleted: readonly string[];
}

/** What the other instances were told, and by when each of them shows the change. */
export interface KeySetNotice {
  /** true: published through the shared cache, so every running instance re-reads at once */
  readonly notified: boolean;
  /** instances that received the message (Redis subscribers); undefined when not notified */
  readonly receivers?: number;
  /** why the message could not be sent (Redis unreachable) */
  readonly failure?: string;
  /** the latest instant a running instance may still serve the old key set */
  readonly everywhereBy: Date;
}

/**
 * Tells every instance that this process changed the signing keys (created, rotated or deleted),
 * so each re-reads the store instead of waiting out KEY_MANAGEMENT_KEY_CACHE_DURATION. Never
 * throws: a Redis outage only means the change travels at the speed of the key caches.
 */
@Injectable()
export class KeySetNotifier {
  /** this process, so that its own listener skips the message */
  readonly origin = randomUUID();
  private readonly logger = new Logger(KeySetNotifier.name);

  constructor(
    private readonly cache: DistributedCache,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async keysChanged(change: { readonly created: readonly string[]; readonly deleted: readonly string[] }): Promise<KeySetNotice> {
    const now = this.clock.now().getTime();
    const byCacheExpiry = new Date(now + this.config.keyManagement.keyCacheDuration);
    const message: KeySetChange = { origin: this.origin, created: change.created, deleted: change.deleted };
    try {
      const receivers = await this.cache.publish(KEYS_CHANGED_CHANNEL, JSON.stringify(message));
      if (!this.cache.reachesOtherInstances) return { notified: false, everywhereBy: byCacheExpiry };
      return { notified: true, receivers, everywhereBy: new Date(now + NOTIFIED_PROPAGATION_MS) };
    } catch (error) {
      const failure = error instanceof Error ? error.message : String(error);
      this.logger.warn(`Could not tell other instances that the signing keys changed (${failure}): they show the change within KEY_MANAGEMENT_KEY_CACHE_DURATION`);
      return { notified: false, failure, everywhereBy: byCacheExpiry };
    }
  }
}
