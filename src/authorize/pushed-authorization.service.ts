import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DistributedCache } from '../caching/distributed-cache';
import type { AuthorizeParameters } from './authorize-request';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: short-lived; the example uses 60 seconds. */
export const PUSHED_REQUEST_LIFETIME_SECONDS = 60;

interface PushedRequest {
  readonly clientId: string;
  readonly params: AuthorizeParameters;
}

/**
 * Pushed authorization requests (RFC 9126) in the distributed cache, so any instance can serve
 * the browser's follow-up: one-time (taken atomically), expiring, bound to the pushing client.
 */
@Injectable()
export class PushedAuthorizationService {
  constructor(private readonly cache: DistributedCache) {}

  async push(clientId: string, params: AuthorizeParameters): Promise<{ requestUri: string; expiresIn: number }> {
    const requestUri = `${REQUEST_URI_PREFIX}${randomBytes(32).toString('base64url')}`;
    const value: PushedRequest = { clientId, params };
    await this.cache.set(cacheKey(requestUri), JSON.stringify(value), PUSHED_REQUEST_LIFETIME_SECONDS * 1000);
    return { requestUri, expiresIn: PUSHED_REQUEST_LIFETIME_SECONDS };
  }

  /** The pushed parameters, spending the request_uri; undefined when unknown, used, expired or another client's. */
  async take(requestUri: string, clientId: string): Promise<AuthorizeParameters | undefined> {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX) || requestUri.length > 200) return undefined;
    const raw = await this.cache.take(cacheKey(requestUri));
    if (raw === undefined) return undefined;
    const pushed = JSON.parse(raw) as PushedRequest;
    return pushed.clientId === clientId ? pushed.params : undefined;
  }
}

/** The cache never holds the request_uri itself, only its hash. */
function cacheKey(requestUri: string): string {
  return `par:${createHash('sha256').update(requestUri).digest('base64url')}`;
}
