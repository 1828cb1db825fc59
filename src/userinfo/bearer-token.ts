import type { FastifyRequest } from 'fastify';
import { ProtocolError } from '../protocol/protocol-errors';

const REALM = 'identity-server';

/** RFC 6750 §3.1: a request without any token gets the bare challenge, no error code. */
export class MissingBearerTokenError extends ProtocolError {
  constructor() {
    super('invalid_request', 'a bearer access token is required', 401, { 'www-authenticate': `Bearer realm="${REALM}"` });
  }
}

/** RFC 6750 §3.1 `invalid_request`: e.g. a token sent by more than one method. */
export class InvalidBearerRequestError extends ProtocolError {
  constructor(description: string) {
    super('invalid_request', description, 400, {
      'www-authenticate': `Bearer realm="${REALM}", error="invalid_request", error_description="${description}"`,
    });
  }
}

/** RFC 6750 §3.1 `insufficient_scope` (403). */
export class InsufficientScopeError extends ProtocolError {
  constructor(scope: string) {
    const description = `the access token lacks the ${scope} scope`;
    super('insufficient_scope', description, 403, {
      'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="${description}", scope="${scope}"`,
    });
  }
}

/**
 * The bearer token of a request: the Authorization header (RFC 6750 §2.1) or the
 * `access_token` form field (§2.2) — exactly one of them.
 */
export function readBearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const fromHeader = typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : undefined;
  if (typeof header === 'string' && fromHeader === undefined) throw new InvalidBearerRequestError('the Authorization header must use the Bearer scheme');

  const fromBody = formAccessToken(request);
  if (fromHeader !== undefined && fromBody !== undefined) throw new InvalidBearerRequestError('the access token was sent by more than one method');
  const token = fromHeader ?? fromBody;
  if (token === undefined || token === '') throw new MissingBearerTokenError();
  if (!/^[\w\-.~+/]+=*$/.test(token) || token.length > 8192) throw new InvalidBearerRequestError('the access token is malformed');
  return token;
}

/** §2.2: only from a form-encoded POST body, and only once. */
function formAccessToken(request: FastifyRequest): string | undefined {
  if (request.method !== 'POST') return undefined;
  const contentType = request.headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return undefined;
  const body = request.body;
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>).access_token;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidBearerRequestError('access_token must appear once');
  return value;
}
