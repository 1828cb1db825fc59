import type { FastifyRequest } from 'fastify';
import type { Client } from '../stores/models';

export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthenticationMethod;
}

/**
 * Authenticates the client of a token, PAR, revocation or device-authorization request
 * (RFC 6749 §2.3, RFC 7523). Throws InvalidClientError; never says whether the id exists.
 */
export abstract class ClientAuthenticator {
  abstract authenticate(request: FastifyRequest, body: Readonly<Record<string, string>>): Promise<AuthenticatedClient>;
}
