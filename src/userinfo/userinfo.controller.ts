import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import type { ClaimValue } from '../stores/models';
import { readBearerToken } from './bearer-token';
import { UserInfoService } from './userinfo.service';

/** `GET|POST /connect/userinfo` (OIDC Core §5.3) with a bearer access token (RFC 6750). */
@Controller('connect/userinfo')
export class UserInfoController {
  constructor(private readonly userInfo: UserInfoService) {}

  @Get()
  get(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<Record<string, ClaimValue>> {
    return this.answer(request, reply, origin);
  }

  @Post()
  @HttpCode(200)
  post(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<Record<string, ClaimValue>> {
    return this.answer(request, reply, origin);
  }

  private answer(request: FastifyRequest, reply: FastifyReply, origin: RequestOrigin): Promise<Record<string, ClaimValue>> {
    reply.header('cache-control', 'no-store');
    return this.userInfo.getUserInfo(readBearerToken(request), origin.issuer);
  }
}
