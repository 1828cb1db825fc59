import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ROOT_LOGGER } from './pino-logger.service';
import { loggedRequest } from './root-logger';

/**
 * One "request completed" line per request, only at LOG_LEVEL=debug: at other levels no hook is
 * installed at all, so requests pay nothing for logging (hot paths: token endpoint, JWKS).
 */
@Injectable()
export class RequestLoggingHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    // The admin CLI runs an application context without HTTP: nothing to hook then.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter || this.config.logLevel !== 'debug') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', async (request, reply) => {
      const fields = {
        req: loggedRequest(request),
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime),
      };
      if (reply.statusCode >= 500) this.logger.error(fields, 'request errored');
      else this.logger.info(fields, 'request completed');
    });
  }
}
