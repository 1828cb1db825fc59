import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DiscoveryModule } from '../discovery/discovery.module';
import { KeyManagementModule } from '../key-management/key-management.module';
import { ConfigurationHealthIndicator } from './configuration.health';
import { DatabaseHealthIndicator } from './database.health';
import { DiscoveryHealthIndicator } from './discovery.health';
import { HealthCheckRegistry } from './health-check.registry';
import { HealthController } from './health.controller';
import { JwksHealthIndicator } from './jwks.health';
import { RedisHealthIndicator } from './redis.health';

/**
 * `GET /health` with `discovery`, `jwks`, `database`, `redis` (when the cache is Redis),
 * `configuration` (with CONFIGURATION_STORE=database) and
 * whatever else registers in the HealthCheckRegistry; `GET /health/live`.
 */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), DiscoveryModule, KeyManagementModule],
  controllers: [HealthController],
  providers: [HealthCheckRegistry, DiscoveryHealthIndicator, JwksHealthIndicator, DatabaseHealthIndicator, RedisHealthIndicator, ConfigurationHealthIndicator],
  exports: [HealthCheckRegistry],
})
export class HealthModule {}
