import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { Origin, type RequestOrigin } from '../hosting/request-origin';
import { SigningService } from '../key-management/signing.service';
import { DiscoveryDocumentService } from './discovery-document.service';
import { DISCOVERY_MAX_AGE_SECONDS, ifNoneMatchMatches, jwksMaxAgeSeconds, quoteEntityTag } from './http-caching';

/**
 * `GET /.well-known/openid-configuration` and its JWKS. Both bodies are serialised once (per
 * issuer, per key-set change) and sent as stored; conditional requests answer 304.
 */
@Controller('.well-known/openid-configuration')
export class DiscoveryController {
  private readonly jwksCacheControl: string;
  private readonly vary?: string;

  constructor(
    private readonly documents: DiscoveryDocumentService,
    private readonly signing: SigningService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.jwksCacheControl = `public, max-age=${jwksMaxAgeSeconds(config.keyManagement)}`;
    // Without a fixed ISSUER_URI the document depends on how the request arrived.
    this.vary = config.issuerUri ? undefined : 'Host, X-Forwarded-Proto, X-Forwarded-Host';
  }

  @Get()
  async discovery(@Origin() origin: RequestOrigin, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const document = await this.documents.getDocument(origin.issuer);
    if (this.vary) reply.header('vary', this.vary);
    this.send(request, reply, document.json, document.etag, `public, max-age=${DISCOVERY_MAX_AGE_SECONDS}`);
  }

  @Get('jwks')
  async jwks(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const keySet = await this.signing.getPublishedKeySet();
    this.send(request, reply, keySet.json, quoteEntityTag(keySet.etag), this.jwksCacheControl);
  }

  private send(request: FastifyRequest, reply: FastifyReply, json: string, etag: string, cacheControl: string): void {
    // Public metadata: browser-based relying parties fetch it cross-origin.
    reply.header('access-control-allow-origin', '*').header('cache-control', cacheControl).header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      reply.status(304).send();
      return;
    }
    reply.type('application/json; charset=utf-8').send(json);
  }
}
