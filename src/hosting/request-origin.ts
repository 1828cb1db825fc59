import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Where a request really came from, after forwarded-header processing (docs/deployment.md).
 * Resolved once per request, early, by the hosting module's onRequest hook.
 */
export interface RequestOrigin {
  /** effective client IP */
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  /** host[:port] as the client addressed it */
  readonly host: string;
  /** ISSUER_URI, or scheme://host; no trailing slash */
  readonly issuer: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    requestOrigin?: RequestOrigin;
  }
}

export function getRequestOrigin(request: FastifyRequest): RequestOrigin {
  const origin = request.requestOrigin;
  if (!origin) throw new Error('request origin not resolved: is HostingModule imported?');
  return origin;
}

/** Controller parameter: `@Origin() origin: RequestOrigin`. */
export const Origin = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestOrigin =>
  getRequestOrigin(ctx.switchToHttp().getRequest<FastifyRequest>()));
