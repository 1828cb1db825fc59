import 'reflect-metadata';
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

/**
 * SIGTERM/SIGINT: stop accepting and finish the requests in flight (Fastify's close), then the
 * rest (Nest's hooks: Redis, scheduled jobs, the database). Nest's own order would close Redis
 * before the HTTP server, under requests still running; and its enableShutdownHooks re-raises
 * the signal, so a clean stop would not exit 0.
 */
function closeOnSignals(app: NestFastifyApplication, logger: Logger): void {
  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, `shutting down (${signal}): no new connections, finishing requests in flight`);
    app.getHttpAdapter().close()
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

loadDotEnv({ quiet: true });
// Logging is settled first, so that even invalid settings are reported as LOG_FORMAT asks.
const logSettings = loadLogSettings(process.env);
const logger = createRootLogger(logSettings);
/** Set once the settings are read: the failure report uses it (DATABASE_MIGRATIONS_RUN, HOST, PORT). */
let config: AppConfig | undefined;

async function start(): Promise<void> {
  config = loadAppConfig(process.env);
  const app = await createApp(config, SERVER_EXTENSIONS, logger);
  await app.listen({ port: config.port, host: config.host });
  closeOnSignals(app, logger);
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
