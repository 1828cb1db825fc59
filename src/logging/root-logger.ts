import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogSettings } from '../config/app-config';
import { prettyDestination } from './pretty-log.destination';

/** Headers and fields never written to logs (no secret or token in logs). */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dpop"]',
  'res.headers["set-cookie"]',
];

/** The request as logged: id, method and path — query strings may carry codes or tokens. */
export interface LoggedRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
}

export function loggedRequest(request: { readonly id: string; readonly method: string; readonly url: string }): LoggedRequest {
  return { id: request.id, method: request.method, url: request.url.split('?', 1)[0] };
}

function serializeRequest(request: unknown): unknown {
  if (typeof request !== 'object' || request === null) return request;
  const { id, method, url } = request as { id?: unknown; method?: unknown; url?: unknown };
  return { id, method, url: typeof url === 'string' ? url.split('?', 1)[0] : url };
}

/**
 * The process's one pino logger, at LOG_LEVEL: structured JSON on stdout (LOG_FORMAT=json), or
 * the same events as readable lines (LOG_FORMAT=pretty), unless a destination is given.
 * Per-request work is kept out of it: no per-request child loggers or middleware; the request
 * id travels in the fields of the few logs that concern a request.
 */
export function createRootLogger(settings: LogSettings, destination?: DestinationStream): Logger {
  const options = {
    level: settings.logLevel,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    // Whoever logs a request object gets id, method and path only.
    serializers: { req: serializeRequest },
  };
  if (destination) return pino(options, destination);
  return settings.logFormat === 'pretty' ? pino(options, prettyDestination()) : pino(options);
}
