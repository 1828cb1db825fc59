import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiResourceAuthenticator } from '../client-authentication/api-resource-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { getRequestOrigin } from '../hosting/request-origin';
import { addDirectPostRoute } from '../protocol/direct-route';
import { ENDPOINT_PATHS } from '../protocol/paths';
import { ProtocolExceptionFilter } from '../protocol/protocol-exception.filter';
import { InvalidRequestError } from '../protocol/protocol-errors';
import { IntrospectionService, type IntrospectionResponse } from './introspection.service';

/**
 * `POST /connect/introspect` (RFC 7662): form, authenticate the API resource, token, answer.
 * Served by Fastify directly, not through Nest's router: see addDirectPostRoute.
 */
@Injectable()
export class IntrospectionEndpoint implements OnModuleInit {
  constructor(
    private readonly apiAuthenticator: ApiResourceAuthenticator,
    private readonly introspection: IntrospectionService,
    private readonly adapterHost: HttpAdapterHost,
    private readonly errors: ProtocolExceptionFilter,
  ) {}

  onModuleInit(): void {
    addDirectPostRoute(this.adapterHost, ENDPOINT_PATHS.introspection, this.errors, (request, reply) => this.introspect(request, reply));
  }

  async introspect(request: FastifyRequest, reply: FastifyReply): Promise<IntrospectionResponse> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const api = await this.apiAuthenticator.authenticate(request, params);
    if (params.token === undefined) throw new InvalidRequestError('token is missing');
    // token_type_hint (RFC 7662 §2.1) is only a hint: both kinds are tried by their shape.
    return this.introspection.introspect(params.token, api, getRequestOrigin(request).issuer);
  }
}
