import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DiscoveryModule } from '../discovery/discovery.module';
import { DatabaseHealthIndicator } from './database.health';
import { DiscoveryHealthIndicator } from './discovery.health';
import { HealthCheckRegistry } from './health-check.registry';
import { HealthController } from './health.controller';
import { JwksHealthIndicator } from './jwks.health';

/**
 * `GET /health` with `discovery`, `jwks`, `database` and whatever other modules register in the
 * HealthCheckRegistry (global, so any module can inject it); `GET /health/live`.
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), DiscoveryModule],
  controllers: [HealthController],
  providers: [HealthCheckRegistry, DiscoveryHealthIndicator, JwksHealthIndicator, DatabaseHealthIndicator],
  exports: [HealthCheckRegistry],
})
export class HealthModule {}
