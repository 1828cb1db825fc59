import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorPageRenderer } from './error-page-renderer';
import { DEPENDENCY_RETRY_AFTER_SECONDS, DependencyUnavailableError } from '../common/dependency-unavailable';
import { dependencyUnavailable } from '../common/dependency-failure';
import { isInteractivePath } from './paths';
import { ErrorPageError, NotFoundError, PayloadTooLargeError, ProtocolError, ServerError, TemporarilyUnavailableError, UnsupportedMediaTypeError, InvalidRequestError } from './protocol-errors';
import { renderErrorPage } from './error-page';
import { negotiateLanguage } from '../common/accept-language';
import { APP_CONFIG, UI_LANGUAGES, type AppConfig } from '../config/app-config';
import { PAGE_SECURITY_HEADERS } from './page-security-headers';

/**
 * The one place errors become responses: protocol errors as RFC 6749 §5.2 JSON (or the error
 * page for ErrorPageError), framework errors mapped to their protocol equivalent, anything
 * unexpected as `server_error` — logged with the request id, never with a stack in the response.
 */
@Catch()
export class ProtocolExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProtocolExceptionFilter');

  /** Optional so the filter also works where no renderer is bound (then the built-in page). */
  constructor(
    @Optional() private readonly renderer?: ErrorPageRenderer,
    @Optional() @Inject(APP_CONFIG) private readonly config?: AppConfig,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.respond(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>());
  }

  /** Answers `exception` on `reply`; also called by the routes Nest's router does not serve (the token endpoint). */
  respond(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    // The client went away (a body answered 408 by the server, a reset): nobody to answer, and
    // its ECONNRESET is not an outage.
    if (request.raw?.socket?.destroyed) return;
    const error = this.toProtocolError(exception, request);

    if (reply.sent) return;
    reply.header('cache-control', 'no-store');
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);

    // A browser's page shows every error as the error page, framework ones (a malformed form) too.
    if (error instanceof ErrorPageError || isInteractive(request)) {
      // The error page is a page like the others: never framed, no script, no referrer.
      for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) reply.header(name, value);
      reply.header('vary', 'accept-language');
      reply.status(error.status).type('text/html; charset=utf-8').send(this.errorPage(error, request));
      return;
    }
    reply.status(error.status).type('application/json').send(JSON.stringify(error.toJSON()));
  }

  /**
   * The error page through the bound ErrorPageRenderer (by default the application's `Ui`), so a
   * replaced UI restyles it like every other page; the built-in page when the renderer fails.
   */
  private errorPage(error: ProtocolError, request: FastifyRequest): string {
    const requestId = String(request.id);
    if (this.renderer) {
      try {
        const language = negotiateLanguage(request.headers['accept-language'], UI_LANGUAGES, this.config?.ui.defaultLanguage ?? 'en');
        return this.renderer.errorPage({
          error: error.error, description: error.description, requestId, language,
          ...(error instanceof ErrorPageError && { client: error.client }),
          ...(error instanceof ErrorPageError && error.backUrl !== undefined && { backUrl: error.backUrl }),
        });
      } catch (renderError: unknown) {
        this.logger.error({ err: renderError, requestId }, 'the error-page renderer failed; showing the built-in page');
      }
    }
    return renderErrorPage(error, requestId);
  }

  private toProtocolError(exception: unknown, request: FastifyRequest): ProtocolError {
    if (exception instanceof ProtocolError) return exception;
    // A raw driver error of an outage (database connection refused or lost, server shutting down,
    // SQLite busy after its timeout; a Redis client's connection errors) is an outage too,
    // wherever it surfaced; a genuine bug stays a 500 below.
    const outage = dependencyUnavailable(exception);
    if (outage) {
      // One line naming what is down; the client is told to come back, never a 500.
      this.logger.error({ requestId: request.id, dependency: outage.dependency }, `${outage.dependency} unavailable: ${outage.message}`);
      const description = `${dependencyName(outage.dependency)} is temporarily unavailable; retry later`;
      // A browser on a page sees the error page (503), a client the JSON error.
      if (isInteractive(request)) return new UnavailablePageError(description, DEPENDENCY_RETRY_AFTER_SECONDS);
      return new TemporarilyUnavailableError(description, DEPENDENCY_RETRY_AFTER_SECONDS);
    }
    const status = statusOf(exception);
    if (status === 404) return new NotFoundError(`no such endpoint: ${request.method} ${request.url.split('?')[0]}`);
    if (status === 413) return new PayloadTooLargeError();
    if (status === 415) return new UnsupportedMediaTypeError();
    if (status === 405) return new ProtocolError('invalid_request', 'method not allowed', 405);
    if (status !== undefined && status >= 400 && status < 500) {
      return new InvalidRequestError(exception instanceof HttpException ? 'the request is malformed' : 'the request is malformed');
    }
    this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    return new ServerError();
  }
}

/** The error page at 503 with Retry-After: a dependency outage on a page a browser shows. */
class UnavailablePageError extends ErrorPageError {
  constructor(description: string, retryAfterSeconds: number) {
    super('temporarily_unavailable', description, 503, { 'retry-after': String(retryAfterSeconds) });
  }
}

function isInteractive(request: FastifyRequest): boolean {
  return isInteractivePath(request.url.split('?')[0]);
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  if (exception && typeof exception === 'object' && 'statusCode' in exception) {
    const code = (exception as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** How an error description names a dependency: `the database`, `Redis`, `the key-ring`. */
function dependencyName(dependency: string): string {
  return dependency === 'redis' ? 'Redis' : `the ${dependency}`;
}
