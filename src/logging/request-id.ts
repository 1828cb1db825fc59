import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What we accept from a caller's `x-request-id`: short, and safe in logs and error pages. */
const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * Fastify's `genReqId`: the caller's (or proxy's) `x-request-id` when it is sane, so one id
 * follows a request across hops; otherwise a random UUID.
 */
export function requestIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
