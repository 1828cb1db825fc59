import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { buildSiteStylesheet } from './site-css';

/**
 * `GET /ui/site.css`: the one stylesheet of the default pages, served by the server itself (no
 * CDN, no build step). Pages link it with a version in the query, so browsers may keep it a day;
 * a revalidation with the ETag answers 304.
 */
@Controller('ui')
export class SiteCssController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get('site.css')
  stylesheet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const sheet = buildSiteStylesheet(this.config.ui.primaryColor);
    reply
      .header('cache-control', 'public, max-age=86400')
      .header('etag', sheet.etag)
      .header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === sheet.etag) {
      reply.status(304).send();
      return;
    }
    reply.status(200).type('text/css; charset=utf-8').send(sheet.css);
  }
}
