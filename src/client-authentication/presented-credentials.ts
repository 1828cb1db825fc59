import type { FastifyRequest } from 'fastify';
import { InvalidClientError, InvalidRequestError } from '../protocol/protocol-errors';
import type { FormParameters } from './back-channel-request';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the caller presented, before anything is looked up. */
export type PresentedCredentials =
  | { readonly kind: 'basic'; readonly clientId: string; readonly secret: string }
  | { readonly kind: 'post'; readonly clientId: string; readonly secret: string }
  | { readonly kind: 'assertion'; readonly clientId?: string; readonly assertion: string }
  | { readonly kind: 'none'; readonly clientId: string };

/**
 * Reads the client's credentials from the Authorization header and the form (RFC 6749 §2.3,
 * RFC 7523 §2.2). Pure: no lookups. A client must use exactly one method (RFC 6749 §2.3).
 */
export function readPresentedCredentials(request: FastifyRequest, params: FormParameters): PresentedCredentials {
  const basic = readBasicCredentials(request.headers.authorization);
  const hasPostSecret = params.client_secret !== undefined;
  const hasAssertion = params.client_assertion !== undefined || params.client_assertion_type !== undefined;

  if ([basic !== undefined, hasPostSecret, hasAssertion].filter(Boolean).length > 1) {
    throw new InvalidRequestError('only one client authentication method may be used');
  }

  if (basic) {
    // RFC 6749 §2.3.1: client_id may still appear in the body, but must then be the same client.
    if (params.client_id !== undefined && params.client_id !== basic.clientId) {
      throw new InvalidClientError('client_id does not match the authenticated client', true);
    }
    return { kind: 'basic', ...basic };
  }
  if (hasAssertion) {
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      throw new InvalidClientError(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    }
    if (params.client_assertion === undefined) throw new InvalidClientError('client_assertion is missing');
    return { kind: 'assertion', clientId: params.client_id, assertion: params.client_assertion };
  }
  if (params.client_id === undefined) throw new InvalidClientError('client authentication is missing');
  if (hasPostSecret) return { kind: 'post', clientId: params.client_id, secret: params.client_secret };
  return { kind: 'none', clientId: params.client_id };
}

/**
 * `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
 * Undefined when there is no Basic header; a malformed one is invalid_client with a challenge.
 */
export function readBasicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^basic(?: +(.*))?$/i.exec(header.trim());
  if (!match) return undefined;
  const encoded = (match[1] ?? '').trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new InvalidClientError('malformed Basic credentials', true);
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClientError('malformed Basic credentials', true);
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined || clientId === '') {
    throw new InvalidClientError('malformed Basic credentials', true);
  }
  return { clientId, secret };
}

/** application/x-www-form-urlencoded decoding of one value; undefined when malformed. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}
