import 'reflect-metadata';
import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { config as loadDotEnv } from 'dotenv';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { loadAppConfig, loadLogSettings, type AppConfig } from './config/app-config';
import { createApp } from './app.factory';
import { createRootLogger } from './logging/root-logger';
import { SERVER_EXTENSIONS } from './server.extensions';
import { startupFailureOf } from './startup-failure.report';

/** `http://HOST:PORT` as the server is reachable, with an IPv6 host in brackets. */
function listeningUrl(app: NestFastifyApplication, config: AppConfig): string {
  const address = app.getHttpServer().address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
}

/** How long a stop waits, at most, for connections just accepted to send their first request. */
const FIRST_REQUEST_GRACE_MS = 2_000;

/**
 * The connections accepted whose first request has not been read yet. Node's HTTP close drops
 * them as idle; a proxy that has already sent a request on one sees a reset, which it must not
 * retry for a POST (nginx answers 502).
 */
function connectionsAwaitingRequest(server: Server): ReadonlySet<Socket> {
  const waiting = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    waiting.add(socket);
    socket.once('close', () => waiting.delete(socket));
  });
  server.on('request', (request: { socket: Socket }) => waiting.delete(request.socket));
  return waiting;
}

/**
 * SIGTERM/SIGINT (see docs/deployment.md, rolling restarts): stop listening (a new connection is
 * refused, so a load balancer tries the next instance); let the connections already accepted
 * deliver their first request; then close Fastify (idle keep-alive connections closed, requests
 * in flight finished), then the rest (Nest's hooks: Redis, scheduled jobs, the database). Nest's
 * own order would close Redis before the HTTP server, under requests still running; and its
 * enableShutdownHooks re-raises the signal, so a clean stop would not exit 0. Connections the
 * kernel had queued but not yet handed to Node when listening stops are reset by the kernel:
 * only draining the instance at the load balancer first avoids that.
 */
function closeOnSignals(app: NestFastifyApplication, logger: Logger, awaitingRequest: ReadonlySet<Socket>): void {
  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    // net.Server's close only unlistens; http.Server's would also drop the connections just accepted.
    // Unlisten before saying so: whoever reads the line may connect at once and must be refused.
    NetServer.prototype.close.call(app.getHttpServer());
    logger.info({ signal }, `shutting down (${signal}): no new connections, finishing requests in flight`);
    firstRequestsRead(awaitingRequest)
      .then(() => app.getHttpAdapter().close())
      .then(() => app.close())
      .then(() => {
        logger.info('shut down');
        process.exit(0);
      }, (error: unknown) => {
        logger.error({ err: error }, `shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

/** Resolves once every connection accepted has sent its first request or gone, or after the grace. */
async function firstRequestsRead(awaitingRequest: ReadonlySet<Socket>): Promise<void> {
  const deadline = Date.now() + FIRST_REQUEST_GRACE_MS;
  while (awaitingRequest.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

loadDotEnv({ quiet: true });
// Logging is settled first, so that even invalid settings are reported as LOG_FORMAT asks.
const logSettings = loadLogSettings(process.env);
const logger = createRootLogger(logSettings);
/** Set once the settings are read: the failure report uses it (DATABASE_MIGRATIONS_RUN, HOST, PORT). */
let config: AppConfig | undefined;

async function start(): Promise<void> {
  config = loadAppConfig(process.env);
  const app = await createApp(config, SERVER_EXTENSIONS, logger);
  const awaitingRequest = connectionsAwaitingRequest(app.getHttpServer());
  await app.listen({ port: config.port, host: config.host });
  closeOnSignals(app, logger, awaitingRequest);
  logger.info(`listening on ${listeningUrl(app, config)} (issuer ${config.issuerUri ?? 'derived per request'})`);
}

start().catch((error: unknown) => {
  // Every failed start ends here: one error line naming the setting or file and the fix.
  const failure = startupFailureOf(error, config);
  logger.error({
    ...failure.fields,
    // The stack helps a developer, not an operator: only at LOG_LEVEL=debug.
    ...(logSettings.logLevel === 'debug' ? { err: error } : {}),
  }, failure.message);
  process.exit(1);
});
