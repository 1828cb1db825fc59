import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import cookie from '@fastify/cookie';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config/app-config';
import { IdentityServerModule, type IdentityServerOptions } from './identity-server.module';
import { PinoLoggerService } from './logging/pino-logger.service';
import { requestIdFor } from './logging/request-id';
import { createRootLogger } from './logging/root-logger';

/** Requests larger than this are refused with 413 (forms and JSON alike). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The extension surface (README.md, "Extending through DI"). */
export type CreateAppOptions = IdentityServerOptions;

/**
 * Builds the application for a configuration: used by main.ts, the CLI and the tests, so all
 * three run exactly the same wiring. `rootLogger`: the process's pino logger (main.ts passes its
 * own, so its lines and Nest's share one stream); by default one is made from LOG_LEVEL/LOG_FORMAT.
 *
 * Signals are not handled here: main.ts does (close HTTP first, then the rest, see there).
 */
export async function createApp(
  config: AppConfig, options: CreateAppOptions = {}, rootLogger: Logger = createRootLogger(config),
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    // Forwarded headers are resolved by the hosting module with the operator's trust rules.
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 256 },
    // request.id: the caller's sane x-request-id or a random UUID (error logs, error page).
    genReqId: requestIdFor,
    // A path with broken percent-encoding never reaches Nest's filter: answer it as RFC 6749 §5.2
    // JSON too, not with Fastify's own body (which names FST_ codes and echoes the path).
    frameworkErrors: (_error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).header('cache-control', 'no-store').type('application/json')
        .send('{"error":"invalid_request","error_description":"the request URL is malformed"}');
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(IdentityServerModule.forRoot(config, options, rootLogger), adapter, {
    // Nest logs through pino from its very first line: nothing reaches Nest's coloured ConsoleLogger,
    // not even the lines of a start-up that fails (bufferLogs would flush them there).
    logger: new PinoLoggerService(rootLogger),
    abortOnError: false,
  });
  await app.register(cookie as never);
  await app.init();
  return app;
}
