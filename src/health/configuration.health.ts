import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DatabaseConfiguration } from '../stores/typeorm-config';
import { HealthCheckRegistry } from './health-check.registry';

/**
 * The `configuration` indicator of `GET /health`, present with CONFIGURATION_STORE=database
 * (docs/deployment.md, "Configuration in the database"): when the copy was read, and, while the
 * tables cannot be read, that the last good copy serves (`servingLastGoodCopy`, `since`,
 * `reason`). It stays `up` then: tokens are still issued correctly from that copy, and the
 * `database` indicator already reports the outage, so this one alone never makes /health 503.
 */
@Injectable()
export class ConfigurationHealthIndicator implements OnModuleInit {
  constructor(private readonly configuration: DatabaseConfiguration, private readonly registry: HealthCheckRegistry) {}

  onModuleInit(): void {
    if (!this.configuration.active) return;
    this.registry.register('configuration', async () => {
      const status = this.configuration.status();
      return {
        configuration: {
          status: 'up',
          store: 'database',
          ...(status.loadedAt && { loadedAt: status.loadedAt.toISOString() }),
          ...(status.outage && { servingLastGoodCopy: true, since: status.outage.since.toISOString(), reason: status.outage.reason }),
        },
      };
    });
  }
}
