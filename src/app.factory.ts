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
import { clientErrorHandler, errorBody, MAX_HEADER_BYTES, MAX_HEADERS_COUNT } from './protocol/client-error';
import { ErrorPageRenderer } from './protocol/error-page-renderer';
import { InvalidRequestError } from './protocol/protocol-errors';
import { useLeanAsyncResourceBind } from './hosting/lean-async-resource-bind';

/** Requests larger than this are refused with 413 (forms and JSON alike). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Slow clients (HTTP_IDLE_TIMEOUT, HTTP_REQUEST_TIMEOUT; docs/settings.md, "Connections"): a
 * connection that sends nothing, new or between keep-alive requests, is closed after the idle
 * timeout (the socket timeout; Node's 408 for a new connection that never sent a byte is
 * suppressed in clientErrorHandler); a request whose headers and body have not all arrived within
 * the request timeout is answered 408 and closed. Node checks those deadlines every
 * `connectionsCheckingInterval` (30 s by default), so that is kept well below the request timeout.
 */
function connectionLimits(config: AppConfig) {
  const { idleTimeout, requestTimeout } = config.http;
  return {
    keepAliveTimeout: idleTimeout,
    connectionTimeout: idleTimeout,
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: requestTimeout,
      keepAliveTimeout: idleTimeout,
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(requestTimeout / 4))),
      maxHeaderSize: MAX_HEADER_BYTES,
      // Checked in the request-origin hook instead, so the answer is in the protocol's format.
      requireHostHeader: false,
    },
  };
}

/** The path of a raw request URL, without its query. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

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
  // Fastify and Nest bind a callback per request: without this, on Node 20, that alone doubles
  // the memory the server needs under load (see the function).
  useLeanAsyncResourceBind();
  // The error page as the application renders it, once built (parser errors can only come later).
  let errorPages: ErrorPageRenderer | undefined;
  const adapter = new FastifyAdapter({
    ...connectionLimits(config),
    // What Node's parser refuses (raw 0xFF in the URL, oversized headers, a request not received
    // in time) never reaches Fastify's routing: answered here in the protocol's format.
    clientErrorHandler: clientErrorHandler(() => errorPages),
    bodyLimit: MAX_BODY_BYTES,
    // Forwarded headers are resolved by the hosting module with the operator's trust rules.
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 256 },
    // request.id: the caller's sane x-request-id or a random UUID (error logs, error page).
    genReqId: requestIdFor,
    // A path with broken percent-encoding never reaches Nest's filter: answer it as RFC 6749 §5.2
    // JSON too, not with Fastify's own body (which names FST_ codes and echoes the path).
    frameworkErrors: (_error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const error = new InvalidRequestError('the request URL is malformed');
      const { contentType, body, headers } = errorBody(error, pathOf(request.url), errorPages, String(request.id));
      void reply.code(error.status).headers(headers).type(contentType).send(body);
    },
  });
  adapter.getInstance().server.maxHeadersCount = MAX_HEADERS_COUNT;
  const app = await NestFactory.create<NestFastifyApplication>(IdentityServerModule.forRoot(config, options, rootLogger), adapter, {
    // Nest logs through pino from its very first line: nothing reaches Nest's coloured ConsoleLogger,
    // not even the lines of a start-up that fails (bufferLogs would flush them there).
    logger: new PinoLoggerService(rootLogger),
    abortOnError: false,
  });
  errorPages = app.get(ErrorPageRenderer, { strict: false });
  await app.register(cookie as never);
  await app.init();
  return app;
}
