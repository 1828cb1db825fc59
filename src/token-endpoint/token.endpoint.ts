import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { getRequestOrigin, type RequestOrigin } from '../hosting/request-origin';
import { addDirectPostRoute } from '../protocol/direct-route';
import { ENDPOINT_PATHS } from '../protocol/paths';
import { ProtocolExceptionFilter } from '../protocol/protocol-exception.filter';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from '../protocol/protocol-errors';
import { GRANT_HANDLERS, GrantHandler, type TokenResponse } from './grants/grant-handler';
import { TokenEndpointMetrics } from './token-endpoint.metrics';

/**
 * `POST /connect/token` (RFC 6749 §3.2) as a list of small steps: no-store, form parameters
 * without duplicates, grant_type present, client authenticated, grant known and allowed for the
 * client, then the grant's handler — which knows nothing of the others. Issued tokens are
 * counted here (docs/metrics.md). Served by Fastify directly, not through Nest's router: see
 * addDirectPostRoute.
 */
@Injectable()
export class TokenEndpoint implements OnModuleInit {
  private readonly handlers: ReadonlyMap<string, GrantHandler>;

  constructor(
    private readonly clientAuthenticator: ClientAuthenticator,
    @Inject(GRANT_HANDLERS) handlers: readonly GrantHandler[],
    private readonly metrics: TokenEndpointMetrics,
    private readonly adapterHost: HttpAdapterHost,
    private readonly errors: ProtocolExceptionFilter,
  ) {
    this.handlers = new Map(handlers.map((handler) => [handler.grantType, handler]));
  }

  onModuleInit(): void {
    addDirectPostRoute(this.adapterHost, ENDPOINT_PATHS.token, this.errors, (request, reply) => this.token(request, reply, getRequestOrigin(request)));
  }

  async token(request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<TokenResponse> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const grantType = params.grant_type;
    if (grantType === undefined) throw new InvalidRequestError('grant_type is missing');
    const client = await this.clientAuthenticator.authenticate(request, params);
    const handler = this.handlers.get(grantType);
    if (!handler) throw new UnsupportedGrantTypeError(`grant_type "${grantType.slice(0, 100)}" is not supported`);
    if (!client.client.allowedGrantTypes.includes(grantType)) {
      throw new UnauthorizedClientError(`the client is not allowed to use grant_type "${grantType}"`);
    }
    const response = await handler.handle({ params, client, origin });
    this.metrics.recordIssued(grantType, client.client.clientId, response);
    return response;
  }
}
