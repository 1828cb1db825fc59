import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { AdminConfigurationService } from './admin-configuration.service';

/**
 * `/admin/{clients|api-resources|api-scopes|identity-resources|external-providers}[/{id}]` (docs/endpoints.md,
 * "Admin API"), served only when ADMIN_API_ENABLED=true. Any other kind answers 404.
 */
@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminConfigurationService) {}

  @Get(':kind')
  async list(@Param('kind') segment: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<unknown> {
    reply.header('cache-control', 'no-store');
    await this.admin.authorize(request, origin.issuer);
    return this.admin.list(this.admin.kindOf(segment));
  }

  @Get(':kind/:id')
  async get(@Param('kind') segment: string, @Param('id') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<unknown> {
    reply.header('cache-control', 'no-store');
    await this.admin.authorize(request, origin.issuer);
    const item = await this.admin.get(this.admin.kindOf(segment), id);
    reply.header('etag', item.etag);
    return item.body;
  }

  @Post(':kind')
  @HttpCode(201)
  async create(@Param('kind') segment: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<unknown> {
    reply.header('cache-control', 'no-store');
    const adminClientId = await this.admin.authorize(request, origin.issuer);
    const item = await this.admin.create(this.admin.kindOf(segment), body, adminClientId);
    reply.header('etag', item.etag);
    return item.body;
  }

  @Put(':kind/:id')
  async replace(@Param('kind') segment: string, @Param('id') id: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<unknown> {
    reply.header('cache-control', 'no-store');
    const adminClientId = await this.admin.authorize(request, origin.issuer);
    const item = await this.admin.replace(this.admin.kindOf(segment), id, body, ifMatchOf(request), adminClientId);
    reply.header('etag', item.etag);
    return item.body;
  }

  @Delete(':kind/:id')
  @HttpCode(204)
  async delete(@Param('kind') segment: string, @Param('id') id: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Origin() origin: RequestOrigin): Promise<void> {
    reply.header('cache-control', 'no-store');
    const adminClientId = await this.admin.authorize(request, origin.issuer);
    await this.admin.delete(this.admin.kindOf(segment), id, ifMatchOf(request), adminClientId);
  }
}

function ifMatchOf(request: FastifyRequest): string | undefined {
  const value = request.headers['if-match'];
  return typeof value === 'string' ? value : undefined;
}
