import { Global, Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics.registry';

/** `GET /metrics`, and the registry other modules add their metrics to (global). */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetricsHook],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
