import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { readAuthorizeParameters } from './authorize-parameters';
import { AuthorizeService } from './authorize.service';

/** `GET|POST /connect/authorize` (RFC 6749 §3.1, OIDC Core §3.1.2.1) and the callback the login and consent pages return to. */
@Controller('connect/authorize')
export class AuthorizeController {
  constructor(private readonly authorize: AuthorizeService) {}

  @Get()
  async get(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    await this.authorize.authorize(readAuthorizeParameters(request.query), request, reply, origin);
  }

  /** OIDC Core §3.1.2.1: POST with a form body is also supported. */
  @Post()
  async post(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    await this.authorize.authorize(readAuthorizeParameters(request.body), request, reply, origin);
  }

  @Get('callback')
  async callback(
    @Query('ctx') context: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.authorize.resume(typeof context === 'string' ? context : undefined, request, reply, origin);
  }
}
