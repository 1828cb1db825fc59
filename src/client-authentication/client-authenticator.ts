import type { FastifyRequest } from 'fastify';
import type { AuthenticatedClient } from './authenticated-client';

/**
 * Authenticates the client of a token, PAR, revocation or device-authorization request
 * (RFC 6749 §2.3, RFC 7523). Throws InvalidClientError; never says whether the id exists.
 */
export abstract class ClientAuthenticator {
  abstract authenticate(request: FastifyRequest, body: Readonly<Record<string, string>>): Promise<AuthenticatedClient>;
}
