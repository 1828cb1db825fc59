import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The application's Prometheus registry. One per application instance rather than prom-client's
 * global registry, so several instances in one process (tests, CLI) never clash over names.
 * Other modules create their metrics with `registers: [metrics.registry]`.
 */
@Injectable()
export class MetricsRegistry implements OnModuleDestroy {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
