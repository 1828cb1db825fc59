import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorPageRenderer } from './error-page-renderer';
import { DEPENDENCY_RETRY_AFTER_SECONDS, DependencyUnavailableError } from '../common/dependency-unavailable';
import { ErrorPageError, NotFoundError, PayloadTooLargeError, ProtocolError, ServerError, TemporarilyUnavailableError, UnsupportedMediaTypeError, InvalidRequestError } from './protocol-errors';
import { renderErrorPage } from './error-page';

/**
 * The one place errors become responses: protocol errors as RFC 6749 §5.2 JSON (or the error
 * page for ErrorPageError), framework errors mapped to their protocol equivalent, anything
 * unexpected as `server_error` — logged with the request id, never with a stack in the response.
 */
@Catch()
export class ProtocolExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProtocolExceptionFilter');

  /** Optional so the filter also works where no renderer is bound (then the built-in page). */
  constructor(@Optional() private readonly renderer?: ErrorPageRenderer) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const error = this.toProtocolError(exception, request);

    if (reply.sent) return;
    reply.header('cache-control', 'no-store');
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);

    if (error instanceof ErrorPageError) {
      reply.status(error.status).type('text/html; charset=utf-8').send(this.errorPage(error, String(request.id)));
      return;
    }
    reply.status(error.status).type('application/json').send(JSON.stringify(error.toJSON()));
  }

  /**
   * The error page through the bound ErrorPageRenderer (by default the application's `Ui`), so a
   * replaced UI restyles it like every other page; the built-in page when the renderer fails.
   */
  private errorPage(error: ErrorPageError, requestId: string): string {
    if (this.renderer) {
      try {
        return this.renderer.errorPage({ error: error.error, description: error.description, requestId });
      } catch (renderError: unknown) {
        this.logger.error({ err: renderError, requestId }, 'the error-page renderer failed; showing the built-in page');
      }
    }
    return renderErrorPage(error, requestId);
  }

  private toProtocolError(exception: unknown, request: FastifyRequest): ProtocolError {
    if (exception instanceof ProtocolError) return exception;
    if (exception instanceof DependencyUnavailableError) {
      // One line naming what is down; the client is told to come back, never a 500.
      this.logger.error({ requestId: request.id, dependency: exception.dependency }, `${exception.dependency} unavailable: ${exception.message}`);
      return new TemporarilyUnavailableError(`the ${exception.dependency} is temporarily unavailable; retry later`, DEPENDENCY_RETRY_AFTER_SECONDS);
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

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  if (exception && typeof exception === 'object' && 'statusCode' in exception) {
    const code = (exception as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}
