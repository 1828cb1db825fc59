import { Injectable, Logger, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Clock } from '../common/clock';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { KeyManager, type ManagedKeySet } from './key-manager.service';

const MS_PER_SECOND = 1000;

/**
 * `signing_key_age_seconds`, `signing_key_next_phase_seconds` and `signing_keys_unreadable`
 * (docs/metrics.md), computed at scrape time from the KeyManager's cached key set: a scrape reads
 * no store while the cache is valid, and once it has expired re-reads it exactly as the next
 * signing request would. Managed keys only, and only those this instance publishes (announced,
 * signing, retired): static keys have neither a creation date nor phases.
 */
@Injectable()
export class SigningKeyMetrics {
  private readonly logger = new Logger(SigningKeyMetrics.name);
  /** a failing key set is logged once until it loads again, not on every scrape */
  private failing = false;

  // Optional: an admin command that imports this module runs without a metrics registry.
  constructor(keyManager: KeyManager, clock: Clock, @Optional() metrics?: MetricsRegistry) {
    if (!metrics) return;
    const readKeySet = async (): Promise<ManagedKeySet | undefined> => {
      try {
        const set = await keyManager.getKeySet();
        this.failing = false;
        return set;
      } catch (error: unknown) {
        // The scrape still answers (without per-key series): /metrics must not fail with the key store.
        if (!this.failing) this.logger.warn(`signing key metrics unavailable: ${error instanceof Error ? error.message : String(error)}`);
        this.failing = true;
        return undefined;
      }
    };

    type KeyStatus = ManagedKeySet['decision']['statuses'][number];
    /** A gauge with one series per published key, its value in seconds from `now` (undefined: no series). */
    const perKeyGauge = (name: string, help: string, seconds: (status: KeyStatus, now: number) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['kid', 'alg'],
        registers: [metrics.registry],
        async collect() {
          this.reset();
          const set = await readKeySet();
          const now = clock.now().getTime();
          for (const status of publishedStatuses(set)) {
            const value = seconds(status, now);
            if (value !== undefined) this.set({ kid: status.key.id, alg: status.key.algorithm }, value);
          }
        },
      });
    };
    perKeyGauge('signing_key_age_seconds', 'Age of each published managed signing key, in seconds',
      ({ key }, now) => (now - key.created.getTime()) / MS_PER_SECOND);
    perKeyGauge('signing_key_next_phase_seconds',
      'Seconds until each published managed signing key changes phase (announced → signing → retired → expired)',
      ({ nextPhaseAt }, now) => (nextPhaseAt ? (nextPhaseAt.getTime() - now) / MS_PER_SECOND : undefined));
    new Gauge({
      name: 'signing_keys_unreadable',
      help: 'Stored signing keys this instance cannot unprotect or import (another application name or master key?)',
      registers: [metrics.registry],
      collect() {
        this.set(keyManager.getUnreadableKeyIds().length);
      },
    });
  }
}

function publishedStatuses(set: ManagedKeySet | undefined): ManagedKeySet['decision']['statuses'] {
  return set ? set.decision.statuses.filter((status) => status.phase !== 'expired') : [];
}
