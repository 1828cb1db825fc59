import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { renderErrorPage } from './error-page';
import type { ErrorPageRenderer } from './error-page-renderer';
import { PAGE_SECURITY_HEADERS } from './page-security-headers';
import { isInteractivePath } from './paths';
import { ProtocolError } from './protocol-errors';

const logger = new Logger('ClientErrorHandler');

/** Longest request line plus headers Node's parser accepts; more is answered 431 (or 414). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Headers kept per request; the rest are dropped by Node's parser before any handler sees them. */
export const MAX_HEADERS_COUNT = 100;
/** A request line longer than this, when the headers overflow, is answered 414 rather than 431. */
const LONG_REQUEST_LINE_BYTES = 8 * 1024;

/** What a request refused by Node's HTTP parser (before any routing) is answered with. */
export interface ClientErrorAnswer {
  readonly error: ProtocolError;
  /** the request's path when the parser got that far (chooses the error page or JSON) */
  readonly path?: string;
}

/**
 * Maps a `clientError` of Node's HTTP server to the protocol error it stands for (RFC 9110 §15.5:
 * 408 not received in time, 414 request line too long, 431 headers too large, 505 unknown HTTP
 * version; anything else the parser refuses is a 400). Undefined when there is nobody to answer
 * (the peer reset the connection).
 */
export function clientErrorAnswer(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, inFlightPath?: string): ClientErrorAnswer | undefined {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return undefined;
  const raw = error.rawPacket ? error.rawPacket.toString('latin1') : '';
  const path = requestPathOf(raw) ?? inFlightPath;
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { error: new ProtocolError('invalid_request', 'the request was not received in time', 408), path };
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(raw)
        ? { error: new ProtocolError('invalid_request', 'the request URL is too long', 414), path }
        : { error: new ProtocolError('invalid_request', 'the request headers are too large', 431), path };
    case 'HPE_INVALID_VERSION':
      return { error: new ProtocolError('invalid_request', 'the HTTP version is not supported', 505), path };
    default:
      return { error: new ProtocolError('invalid_request', 'the request is malformed', 400), path };
  }
}

/** The target of a request line at the start of a raw packet (`GET /account/login?x HTTP/1.1`), path only. */
function requestPathOf(raw: string): string | undefined {
  const match = /^[A-Z]{1,16} (\/[^ ?\r\n]*)/.exec(raw);
  return match?.[1];
}

function requestLineTooLong(raw: string): boolean {
  if (!/^[A-Z]{1,16} /.test(raw)) return false;
  const end = raw.indexOf('\n');
  return end === -1 || end > LONG_REQUEST_LINE_BYTES;
}

/**
 * The body, content type and headers of an error: the error page at a browser's path (with the
 * headers of every page: never cached, never framed, no script), RFC 6749 §5.2 JSON elsewhere.
 */
export function errorBody(
  error: ProtocolError, path: string | undefined, renderer: ErrorPageRenderer | undefined, requestId: string,
): { readonly contentType: string; readonly body: string; readonly headers: Readonly<Record<string, string>> } {
  if (path !== undefined && isInteractivePath(path)) {
    return { contentType: 'text/html; charset=utf-8', body: pageOf(error, renderer, requestId), headers: PAGE_SECURITY_HEADERS };
  }
  return { contentType: 'application/json', body: JSON.stringify(error.toJSON()), headers: { 'cache-control': 'no-store' } };
}

function pageOf(error: ProtocolError, renderer: ErrorPageRenderer | undefined, requestId: string): string {
  if (renderer) {
    try {
      return renderer.errorPage({ error: error.error, description: error.description, requestId });
    } catch (renderError: unknown) {
      logger.error({ err: renderError, requestId }, 'the error-page renderer failed; showing the built-in page');
    }
  }
  return renderErrorPage(error, requestId);
}

/** The response in flight on a socket (Node's own bookkeeping), to know whether it has begun. */
interface SocketWithResponse extends Socket {
  readonly _httpMessage?: { readonly headersSent: boolean; readonly req?: { readonly url?: string } };
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's parser refused (raw 0xFF in the URL, bad
 * framing, oversized headers, HTTP_REQUEST_TIMEOUT) in the protocol's own format, then closes the
 * connection, since the parser's state is lost. `renderer()` gives the bound error page once the
 * application is built.
 */
export function clientErrorHandler(renderer: () => ErrorPageRenderer | undefined): (error: Error, socket: Socket) => void {
  return (error, socket) => {
    // A connection that has not sent a byte is idle, not slow (Node starts its request clock at
    // connect): left to the socket's idle timeout, HTTP_IDLE_TIMEOUT (docs/settings.md), which
    // closes it; load balancers open connections ahead and keep them idle for up to 60 s.
    if ((error as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.bytesRead === 0) return;
    const withResponse = socket as SocketWithResponse;
    const inFlight = withResponse._httpMessage;
    const answer = clientErrorAnswer(error, inFlight?.req?.url?.split('?')[0]);
    // A response already begun cannot be replaced: only the connection can be closed.
    if (!answer || socket.destroyed || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { contentType, body, headers } = errorBody(answer.error, answer.path, renderer(), randomUUID());
    socket.end([
      `HTTP/1.1 ${answer.error.status} ${STATUS_CODES[answer.error.status] ?? 'Error'}`,
      `content-type: ${contentType}`,
      `content-length: ${Buffer.byteLength(body)}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      'connection: close',
      '',
      body,
    ].join('\r\n'));
    // A peer that never reads must not keep the socket: gone once the answer is flushed, or soon after.
    socket.setTimeout(1000, () => socket.destroy());
  };
}
