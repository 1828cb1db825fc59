import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { PinoLoggerService, ROOT_LOGGER } from './pino-logger.service';
import { RequestLoggingHook } from './request-logging.hook';
import { createRootLogger } from './root-logger';

/**
 * Structured logs through one pino logger at LOG_LEVEL and LOG_FORMAT. createApp hands a
 * PinoLoggerService over the same logger to NestFactory.create, so Nest's Logger goes through it
 * from the first line; request ids come from Fastify (`genReqId`, see request-id.ts).
 */
@Global()
@Module({})
export class LoggingModule {
  /** `rootLogger`: the process's logger when the caller already made one (main.ts), so every line shares one stream. */
  static forRoot(config: AppConfig, rootLogger?: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: ROOT_LOGGER, useFactory: () => rootLogger ?? createRootLogger(config) },
        PinoLoggerService,
        RequestLoggingHook,
      ],
      exports: [ROOT_LOGGER, PinoLoggerService],
    };
  }
}
