import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { InvalidRequestError, ProtocolError } from '../protocol/protocol-errors';
import { AuthorizeRequestValidator } from './authorize-request.validator';
import { PushedAuthorizationService } from './pushed-authorization.service';

/** Client-authentication parameters: they authenticate the push and are never stored with it. */
const CLIENT_AUTHENTICATION_PARAMETERS = ['client_secret', 'client_assertion', 'client_assertion_type'];

/**
 * `POST /connect/par` (RFC 9126 §2): an authenticated client pushes its authorization request and
 * receives a one-time request_uri. Validated exactly as at the authorization endpoint, but every
 * error is a JSON response to the client (there is no browser here).
 */
@Controller('connect')
export class PushedAuthorizationController {
  constructor(
    private readonly clientAuthenticator: ClientAuthenticator,
    private readonly validator: AuthorizeRequestValidator,
    private readonly pushed: PushedAuthorizationService,
  ) {}

  @Post('par')
  @HttpCode(201)
  async push(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ request_uri: string; expires_in: number }> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const { client } = await this.clientAuthenticator.authenticate(request, params);
    // RFC 9126 §2.1: request_uri must not be pushed.
    if (params.request_uri !== undefined) throw new InvalidRequestError('request_uri must not be sent to the pushed authorization request endpoint');
    const authorizeParams = Object.fromEntries(
      Object.entries(params).filter(([name]) => !CLIENT_AUTHENTICATION_PARAMETERS.includes(name)),
    );
    const validation = await this.validator.validate(authorizeParams, { pushed: true, client });
    if (!validation.valid) throw new ProtocolError(validation.error, validation.description, 400);
    const { requestUri, expiresIn } = await this.pushed.push(client.clientId, { ...authorizeParams, client_id: client.clientId });
    return { request_uri: requestUri, expires_in: expiresIn };
  }
}
