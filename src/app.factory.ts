import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import cookie from '@fastify/cookie';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from './config/app-config';
import { IdentityServerModule, type IdentityServerOptions } from './identity-server.module';
import { PinoLoggerService } from './logging/pino-logger.service';
import { requestIdFor } from './logging/request-id';

/** Requests larger than this are refused with 413 (forms and JSON alike). */
export const MAX_BODY_BYTES = 64 * 1024;

/** The extension surface (README.md, "Extending through DI"). */
export type CreateAppOptions = IdentityServerOptions;

/**
 * Builds the application for a configuration: used by main.ts, the CLI and the tests, so all
 * three run exactly the same wiring.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
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
  const app = await NestFactory.create<NestFastifyApplication>(IdentityServerModule.forRoot(config, options), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoLoggerService));
  await app.register(cookie as never);
  app.enableShutdownHooks();
  await app.init();
  return app;
}
