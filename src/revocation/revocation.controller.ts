import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../client-authentication/client-authenticator';
import { readFormParameters, setNoStoreHeaders } from '../client-authentication/back-channel-request';
import { InvalidRequestError } from '../protocol/protocol-errors';
import { RevocationService } from './revocation.service';

/** `POST /connect/revocation` (RFC 7009): form, authenticate the client, token, revoke, 200. */
@Controller('connect')
export class RevocationController {
  constructor(private readonly clientAuthenticator: ClientAuthenticator, private readonly revocation: RevocationService) {}

  @Post('revocation')
  @HttpCode(200)
  async revoke(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    setNoStoreHeaders(reply);
    const params = readFormParameters(request);
    const client = await this.clientAuthenticator.authenticate(request, params);
    if (params.token === undefined) throw new InvalidRequestError('token is missing');
    await this.revocation.revoke(params.token, params.token_type_hint, client);
    // RFC 7009 §2.2: 200 with an empty body, also for unknown or already revoked tokens.
    return '';
  }
}
