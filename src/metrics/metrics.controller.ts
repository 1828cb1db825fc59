import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsRegistry } from './metrics.registry';

/** Prometheus scrape endpoint (text exposition format). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    reply.header('cache-control', 'no-store').type(this.metrics.registry.contentType).send(body);
  }
}
