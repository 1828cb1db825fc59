import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { getRequestOrigin } from '../hosting/request-origin';
import { InvalidClientError } from '../protocol/protocol-errors';
import { ClientStore } from '../stores/client.store';
import type { Client } from '../stores/models';
import type { AuthenticatedClient } from './authenticated-client';
import { ClientAuthenticator } from './client-authenticator';
import type { FormParameters } from './back-channel-request';
import { ClientAssertionValidator } from './client-assertion.validator';
import { readPresentedCredentials } from './presented-credentials';
import { compareWithDummySecret, matchesSharedSecret } from './shared-secret';
import { ENDPOINT_PATHS } from '../protocol/paths';

/**
 * Client authentication for every back-channel endpoint: client_secret_basic,
 * client_secret_post, private_key_jwt and none (public clients). Every failure is the same
 * invalid_client, so callers cannot tell an unknown client from a wrong secret.
 */
@Injectable()
export class DefaultClientAuthenticator extends ClientAuthenticator {
  private readonly logger = new Logger(DefaultClientAuthenticator.name);

  constructor(
    private readonly clients: ClientStore,
    private readonly assertions: ClientAssertionValidator,
    private readonly clock: Clock,
  ) {
    super();
  }

  async authenticate(request: FastifyRequest, body: FormParameters): Promise<AuthenticatedClient> {
    const presented = readPresentedCredentials(request, body);
    switch (presented.kind) {
      case 'basic':
      case 'post': {
        const basic = presented.kind === 'basic';
        const client = await this.findEnabledClient(presented.clientId);
        if (!client) {
          compareWithDummySecret(presented.secret);
          throw this.failure(presented.clientId, 'unknown or disabled client', basic);
        }
        if (!matchesSharedSecret(client.clientSecrets, presented.secret, this.clock.now())) {
          throw this.failure(client.clientId, 'wrong secret', basic);
        }
        return { client, method: basic ? 'client_secret_basic' : 'client_secret_post' };
      }
      case 'assertion': {
        const clientId = ClientAssertionValidator.claimedClientId(presented.assertion);
        if (presented.clientId !== undefined && presented.clientId !== clientId) {
          throw this.failure(clientId, 'client_id differs from the assertion issuer', false);
        }
        const client = await this.findEnabledClient(clientId);
        if (!client) throw this.failure(clientId, 'unknown or disabled client', false);
        const origin = getRequestOrigin(request);
        const endpointUrl = origin.issuer + request.url.split('?', 1)[0];
        // RFC 7523 §3: the token endpoint's URL is an accepted audience at every endpoint.
        await this.assertions.validate(client, presented.assertion, {
          audiences: [...new Set([origin.issuer + ENDPOINT_PATHS.token, origin.issuer, endpointUrl])],
        });
        return { client, method: 'private_key_jwt' };
      }
      case 'none': {
        const client = await this.findEnabledClient(presented.clientId);
        // Only clients registered as public may skip authentication.
        if (!client || client.requireClientSecret) throw this.failure(presented.clientId, 'client authentication required', false);
        return { client, method: 'none' };
      }
    }
  }

  private async findEnabledClient(clientId: string): Promise<Client | undefined> {
    const client = await this.clients.findClientById(clientId);
    return client?.enabled ? client : undefined;
  }

  private failure(clientId: string, reason: string, basic: boolean): InvalidClientError {
    // The reason goes to the log only; the caller always sees the same answer.
    this.logger.debug(`client authentication failed for "${clientId.slice(0, 100)}": ${reason}`);
    return new InvalidClientError('client authentication failed', basic);
  }
}
