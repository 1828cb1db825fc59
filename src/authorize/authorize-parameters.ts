import { ErrorPageError } from '../protocol/protocol-errors';
import type { AuthorizeParameters } from './authorize-request';

/**
 * Query or form parameters of a browser request to the authorization endpoint. Repeated
 * parameters are refused (RFC 6749 §3.1) on the error page: nothing is trusted yet to redirect to.
 * Parameters sent without a value count as omitted.
 */
export function readAuthorizeParameters(source: unknown): AuthorizeParameters {
  if (source === undefined || source === null) return {};
  if (typeof source !== 'object') throw new ErrorPageError('invalid_request', 'the request is malformed');
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (Array.isArray(value)) throw new ErrorPageError('invalid_request', `parameter "${name.slice(0, 50)}" is included more than once`);
    if (typeof value !== 'string') throw new ErrorPageError('invalid_request', `parameter "${name.slice(0, 50)}" is malformed`);
    if (value !== '') params[name] = value;
  }
  return params;
}
