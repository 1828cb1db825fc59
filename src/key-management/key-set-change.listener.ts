import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DistributedCache, type Unsubscribe } from '../caching/distributed-cache';
import { KeyManager } from './key-manager.service';
import { KEYS_CHANGED_CHANNEL, KeySetNotifier, type KeySetChange } from './key-set-notifier.service';

/**
 * The server's half of key-set propagation: on a `keys-changed` message from another instance or
 * the CLI (or after a Redis outage, when messages may have been missed) it makes the KeyManager
 * re-read the store at once, so JWKS shows the change within seconds (docs/deployment.md,
 * "Signing keys"). Without Redis no message crosses processes and the key cache duration bounds
 * the delay.
 */
@Injectable()
export class KeySetChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeySetChangeListener.name);
  private unsubscribe?: Unsubscribe;

  constructor(
    private readonly cache: DistributedCache,
    private readonly keyManager: KeyManager,
    private readonly notifier: KeySetNotifier,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.keyManager.enabled) return;
    this.unsubscribe = await this.cache.subscribe(KEYS_CHANGED_CHANNEL, (message) => this.onMessage(message), {
      onMissedMessages: () => this.reload('the connection to Redis was lost and is back'),
    });
    // A change made between the KeyManager's first read and this subscription: read again.
    this.keyManager.invalidate();
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private async onMessage(message: string): Promise<void> {
    let change: Partial<KeySetChange>;
    try {
      change = JSON.parse(message) as Partial<KeySetChange>;
    } catch {
      // Anything on our channel means "keys changed"; an unreadable body is still a reason to re-read.
      change = {};
    }
    if (change.origin === this.notifier.origin) return;
    const what = [...(change.created ?? []).map((kid) => `created ${kid}`), ...(change.deleted ?? []).map((kid) => `deleted ${kid}`)].join(', ');
    await this.reload(`signing keys changed elsewhere${what ? ` (${what})` : ''}`);
  }

  private async reload(why: string): Promise<void> {
    try {
      const set = await this.keyManager.refresh();
      this.logger.log(`Re-read the signing keys: ${why}; JWKS now lists ${set.fingerprint || 'no managed key'}`);
    } catch (error) {
      this.logger.error(`Could not re-read the signing keys after a change notice (${why}): ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
