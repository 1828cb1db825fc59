import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { PinoLoggerService, ROOT_LOGGER } from './pino-logger.service';
import { RequestLoggingHook } from './request-logging.hook';
import { createRootLogger } from './root-logger';

/**
 * Structured JSON logs through one pino logger at LOG_LEVEL. `app.useLogger(app.get(PinoLoggerService))`
 * routes Nest's Logger through it; request ids come from Fastify (`genReqId`, see request-id.ts).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: ROOT_LOGGER, useFactory: () => createRootLogger(config.logLevel) },
        PinoLoggerService,
        RequestLoggingHook,
      ],
      exports: [ROOT_LOGGER, PinoLoggerService],
    };
  }
}
