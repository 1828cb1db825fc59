import { Injectable, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../../metrics/metrics.registry';

/**
 * `configuration_reloads_total` (docs/metrics.md): successful loads of the clients and resources
 * configuration: CONFIG_FILE once at start-up and, with CONFIGURATION_STORE=database, every read
 * of the configuration tables (DatabaseConfiguration).
 */
@Injectable()
export class ConfigurationReloadMetrics {
  private readonly loads?: Counter;

  // Optional: the admin CLI loads the configuration too, without a metrics registry.
  constructor(@Optional() metrics?: MetricsRegistry) {
    if (!metrics) return;
    this.loads = new Counter({
      name: 'configuration_reloads_total',
      help: 'Successful loads of the clients and resources configuration (CONFIG_FILE, or the configuration tables with CONFIGURATION_STORE=database), start-up included',
      registers: [metrics.registry],
    });
  }

  recordLoaded(): void {
    this.loads?.inc();
  }
}
