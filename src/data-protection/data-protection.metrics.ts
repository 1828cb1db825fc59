import { Injectable, Optional } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Clock } from '../common/clock';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { KeyRingService } from './key-ring.service';

/**
 * `data_protection_key_age_seconds` (docs/metrics.md): the age of the key new payloads are
 * protected with, from the ring this instance holds in memory — no store read per scrape. NaN
 * while there is no default key (a ring this instance cannot use): an unlabelled gauge always
 * has a sample, and 0 would read as "a brand-new key".
 */
@Injectable()
export class DataProtectionMetrics {
  // Optional: the admin CLI's `data-protection` commands run without a metrics registry.
  constructor(keyRing: KeyRingService, clock: Clock, @Optional() metrics?: MetricsRegistry) {
    if (!metrics) return;
    new Gauge({
      name: 'data_protection_key_age_seconds',
      help: 'Age in seconds (since its creation) of the current default data-protection key',
      registers: [metrics.registry],
      collect() {
        const key = keyRing.cachedDefaultKey();
        this.set(key ? (clock.now().getTime() - key.creationDate.getTime()) / 1000 : Number.NaN);
      },
    });
  }
}
