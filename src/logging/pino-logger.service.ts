import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's own start-up chatter: a line per module initialised and per route mapped (~75 lines),
 * useful when debugging the wiring, noise for an operator. Written at debug instead of info.
 */
const NEST_BOOTSTRAP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/**
 * Nest's ExceptionHandler logs a failed start-up with its stack before rethrowing it to main.ts,
 * which reports it in one line: its copy is kept for LOG_LEVEL=debug only.
 */
const NEST_START_UP_FAILURE_CONTEXT = 'ExceptionHandler';

/** DI token of the root pino logger (see createRootLogger). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Nest's LoggerService over pino, for `app.useLogger(...)`: every `new Logger(Context)` in the
 * code base writes structured JSON through it. Same field layout as nestjs-pino: the Nest
 * context as `context`, an object message merged into the log line, an Error as `err`.
 */
@Injectable()
export class PinoLoggerService implements LoggerService {
  constructor(@Inject(ROOT_LOGGER) private readonly pino: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write(NEST_BOOTSTRAP_CONTEXTS.has(String(optionalParams.at(-1))) ? 'debug' : 'info', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write(optionalParams.at(-1) === NEST_START_UP_FAILURE_CONTEXT ? 'debug' : 'error', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: Level, message: unknown, optionalParams: readonly unknown[]): void {
    // Checked first so disabled levels cost nothing (debug logs on hot paths).
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    // Nest's Logger appends its context as the last parameter.
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      // Nest's ExceptionHandler passes (error, undefined stack): log the error's own message then.
      const rest = params.filter((p) => p !== undefined);
      this.pino[level](fields, ...(rest.length > 0 ? textOf(rest) : [message.message]));
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      this.pino[level](fields, ...textOf(params));
    } else if (level === 'error' && typeof message === 'string' && isStackTrace(params)) {
      // Nest's own exception handlers call error(message, stack).
      const err = new Error(message);
      err.stack = String(params[0]);
      this.pino[level]({ ...fields, err });
    } else {
      this.pino[level](fields, String(message), ...textOf(params.slice()));
    }
  }
}

function textOf(params: readonly unknown[]): [string?, ...unknown[]] {
  if (params.length === 0) return [];
  return [String(params[0]), ...params.slice(1)];
}

function isStackTrace(params: readonly unknown[]): boolean {
  return params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0]);
}
