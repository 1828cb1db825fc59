import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../protocol/protocol-errors';

/** Parameters that RFC 8707 and friends allow more than once; everything else appears once. */
export type FormParameters = Readonly<Record<string, string>>;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * First step of every back-channel endpoint (token, introspection, revocation, PAR, device):
 * the body must be a form (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1) and no parameter may
 * repeat (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once").
 * Fastify's form parser yields arrays for repeated names, which is how duplicates are seen.
 */
export function readFormParameters(request: FastifyRequest): FormParameters {
  const contentType = request.headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';', 1)[0].trim().toLowerCase() : '';
  if (mediaType !== FORM_CONTENT_TYPE) throw new UnsupportedMediaTypeError();

  const body: unknown = request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object') throw new InvalidRequestError('the request body is malformed');

  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value)) throw new InvalidRequestError(`parameter "${name}" is included more than once`);
    if (typeof value !== 'string') throw new InvalidRequestError(`parameter "${name}" is malformed`);
    // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    if (value !== '') params[name] = value;
  }
  return params;
}

/** RFC 6749 §5.1: responses carrying tokens or credentials must not be cached. */
export function setNoStoreHeaders(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}
