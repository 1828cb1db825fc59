import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiResourceAuthenticator } from '../client-authentication/api-resource-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { InvalidRequestError } from '../protocol/protocol-errors';
import { IntrospectionService, type IntrospectionResponse } from './introspection.service';

/** `POST /connect/introspect` (RFC 7662): form, authenticate the API resource, token, answer. */
@Controller('connect')
export class IntrospectionController {
  constructor(private readonly apiAuthenticator: ApiResourceAuthenticator, private readonly introspection: IntrospectionService) {}

  @Post('introspect')
  @HttpCode(200)
  async introspect(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Origin() origin: RequestOrigin,
  ): Promise<IntrospectionResponse> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const api = await this.apiAuthenticator.authenticate(request, params);
    if (params.token === undefined) throw new InvalidRequestError('token is missing');
    // token_type_hint (RFC 7662 §2.1) is only a hint: both kinds are tried by their shape.
    return this.introspection.introspect(params.token, api, origin.issuer);
  }
}
