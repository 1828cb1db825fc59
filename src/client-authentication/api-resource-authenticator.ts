import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Clock } from '../common/clock';
import { InvalidClientError, InvalidRequestError } from '../protocol/protocol-errors';
import { ResourceCatalog } from '../resources/resource-catalog';
import type { ApiResource } from '../stores/models';
import type { FormParameters } from './back-channel-request';
import { readBasicCredentials } from './presented-credentials';
import { compareWithDummySecret, matchesSharedSecret } from './shared-secret';

/**
 * Authenticates an API resource calling the introspection endpoint (RFC 7662 §2.1):
 * `apiResources[].name` with one of its `apiSecrets`, by Basic or in the form.
 */
@Injectable()
export class ApiResourceAuthenticator {
  private readonly logger = new Logger(ApiResourceAuthenticator.name);

  constructor(private readonly catalog: ResourceCatalog, private readonly clock: Clock) {}

  async authenticate(request: FastifyRequest, body: FormParameters): Promise<ApiResource> {
    const basic = readBasicCredentials(request.headers.authorization);
    if (basic && body.client_secret !== undefined) throw new InvalidRequestError('only one client authentication method may be used');
    const name = basic?.clientId ?? body.client_id;
    const secret = basic?.secret ?? body.client_secret;
    if (name === undefined || secret === undefined) throw new InvalidClientError('API resource authentication is missing', basic !== undefined);
    if (basic && body.client_id !== undefined && body.client_id !== basic.clientId) {
      throw new InvalidClientError('client authentication failed', true);
    }

    const api = await this.catalog.findApiResource(name);
    if (!api) {
      compareWithDummySecret(secret);
    } else if (matchesSharedSecret(api.apiSecrets, secret, this.clock.now())) {
      return api;
    }
    this.logger.debug(`API resource authentication failed for "${name.slice(0, 100)}"`);
    throw new InvalidClientError('client authentication failed', basic !== undefined);
  }
}
