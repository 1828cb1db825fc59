import { Injectable, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics.registry';

/**
 * `configuration_reloads_total` (docs/metrics.md): successful loads of the clients and resources
 * configuration. Today that is the one load at start-up, so the counter reads 1 on a running
 * instance; it is exported from the start so dashboards and alerts need no change when the
 * configuration can be reloaded while running.
 */
@Injectable()
export class ConfigurationReloadMetrics {
  private readonly loads?: Counter;

  // Optional: the admin CLI loads the configuration too, without a metrics registry.
  constructor(@Optional() metrics?: MetricsRegistry) {
    if (!metrics) return;
    this.loads = new Counter({
      name: 'configuration_reloads_total',
      help: 'Successful loads of the clients and resources configuration (CONFIG_FILE), start-up included',
      registers: [metrics.registry],
    });
  }

  recordLoaded(): void {
    this.loads?.inc();
  }
}
