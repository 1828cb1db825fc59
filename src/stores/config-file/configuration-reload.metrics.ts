import { Injectable, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics.registry';

/**
 * `configuration_reloads_total` (docs/metrics.md): successful loads of the clients and resources
 * configuration: CONFIG_FILE at start-up and at each reload and, with CONFIGURATION_STORE=database,
 * every read of the configuration tables (DatabaseConfiguration); and
 * `configuration_reload_failures_total`: new versions of the file refused because they were
 * invalid (the old version kept serving).
 */
@Injectable()
export class ConfigurationReloadMetrics {
  private readonly loads?: Counter;
  private readonly refused?: Counter;

  // Optional: the admin CLI loads the configuration too, without a metrics registry.
  constructor(@Optional() metrics?: MetricsRegistry) {
    if (!metrics) return;
    this.loads = new Counter({
      name: 'configuration_reloads_total',
      help: 'Successful loads of the clients and resources configuration (CONFIG_FILE, or the configuration tables with CONFIGURATION_STORE=database), start-up included',
      registers: [metrics.registry],
    });
    this.refused = new Counter({
      name: 'configuration_reload_failures_total',
      help: 'New versions of the configuration file refused as invalid; the previous version kept serving',
      registers: [metrics.registry],
    });
  }

  recordLoaded(): void {
    this.loads?.inc();
  }

  recordRefused(): void {
    this.refused?.inc();
  }
}
