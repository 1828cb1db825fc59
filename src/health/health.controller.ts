import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { DatabaseHealthIndicator } from './database.health';
import { DiscoveryHealthIndicator } from './discovery.health';
import { HealthCheckRegistry } from './health-check.registry';
import { JwksHealthIndicator } from './jwks.health';

/**
 * `GET /health` and `GET /health/ready` (readiness: 200 when every indicator is up, else 503, Terminus's shape) and
 * `GET /health/live` (liveness: no I/O, so a slow dependency never gets the process restarted).
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly discovery: DiscoveryHealthIndicator,
    private readonly jwks: JwksHealthIndicator,
    private readonly database: DatabaseHealthIndicator,
    private readonly registry: HealthCheckRegistry,
  ) {}

  /** `GET /health/ready`: the same indicators as /health; a load balancer sends traffic only while it answers 200. */
  @Get('ready')
  async ready(@Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<void> {
    await this.check(origin, reply);
  }

  @Get()
  async check(@Origin() origin: RequestOrigin, @Res() reply: FastifyReply): Promise<void> {
    // With ISSUER_URI set the origin's issuer is that URI; otherwise the one this request sees.
    const indicators: HealthIndicatorFunction[] = [
      () => this.discovery.check(origin.issuer),
      () => this.jwks.check(),
      () => this.database.check(),
      ...this.registry.list().map((registered) => registered.check),
    ];
    await this.respond(reply, () => this.health.check(indicators));
  }

  @Get('live')
  async live(@Res() reply: FastifyReply): Promise<void> {
    await this.respond(reply, () => this.health.check([]));
  }

  /** Terminus signals "not healthy" by throwing 503 with the full result: send it as is. */
  private async respond(reply: FastifyReply, run: () => Promise<unknown>): Promise<void> {
    reply.header('cache-control', 'no-store');
    try {
      reply.status(200).send(await run());
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503).send(error.getResponse());
    }
  }
}
