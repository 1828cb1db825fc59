import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, RouteOptions } from 'fastify';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { ENDPOINT_PATHS } from '../protocol/paths';
import type { TokenResponse } from './grants/grant-handler';

/** The tokens a response can carry, as `token_type` labels (docs/metrics.md). */
export const ISSUED_TOKEN_TYPES = ['access_token', 'refresh_token', 'id_token'] as const;

/** RFC 6749 §5.2 codes exported at 0 from the start, so an alert can compare against zero. */
const PRESET_ERRORS = ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'];

/** An error code as this server writes them; anything else (a body that is not ours) is counted under one label. */
const ERROR_CODE = /^[a-z_]{1,64}$/;
export const UNKNOWN_ERROR = 'unknown';

/**
 * `tokens_issued_total` and `token_requests_failed_total`. Successes are counted by the token
 * controller with the grant type it dispatched on and the authenticated client, so every label
 * comes from configuration (registered grants, configured clients), never from what a caller
 * typed. Failures are counted from the answer actually sent on the token route (an onSend hook),
 * so requests refused before the controller (wrong content type, body too large) count too. The
 * hook is attached to the token route alone (as it is registered), so no other route runs it.
 */
@Injectable()
export class TokenEndpointMetrics {
  private readonly issued: Counter<'grant_type' | 'token_type' | 'client_id'>;
  private readonly failed: Counter<'error'>;

  constructor(metrics: MetricsRegistry, adapterHost: HttpAdapterHost) {
    this.issued = new Counter({
      name: 'tokens_issued_total',
      help: 'Tokens issued by the token endpoint, by grant type, token type (access_token, refresh_token, id_token) and client',
      labelNames: ['grant_type', 'token_type', 'client_id'],
      registers: [metrics.registry],
    });
    this.failed = new Counter({
      name: 'token_requests_failed_total',
      help: 'Token endpoint requests answered with an error, by RFC 6749 error code',
      labelNames: ['error'],
      registers: [metrics.registry],
    });
    for (const error of PRESET_ERRORS) this.failed.inc({ error }, 0);
    // Attached while Nest registers its routes, which happens after providers are built: the admin
    // CLI runs an application context without HTTP, nothing to hook then.
    const adapter = adapterHost.httpAdapter;
    if (adapter) adapter.getInstance<FastifyInstance>().addHook('onRoute', (route) => this.attachTo(route));
  }

  /** One successful token response: each token it carries counts once. */
  recordIssued(grantType: string, clientId: string, response: TokenResponse): void {
    for (const tokenType of ISSUED_TOKEN_TYPES) {
      if (response[tokenType] !== undefined) this.issued.inc({ grant_type: grantType, token_type: tokenType, client_id: clientId });
    }
  }

  /** Adds the failure-counting onSend hook to the token route's own hooks. */
  private attachTo(route: RouteOptions): void {
    if (route.url !== ENDPOINT_PATHS.token) return;
    const hook: onSendHookHandler = (_request: FastifyRequest, reply: FastifyReply, payload, done) => {
      if (reply.statusCode >= 400) this.failed.inc({ error: errorCodeOf(payload) });
      done(null, payload);
    };
    const existing = route.onSend;
    route.onSend = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  }
}

/** The `error` member of an RFC 6749 §5.2 body (ProtocolExceptionFilter always sends one). */
export function errorCodeOf(payload: unknown): string {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  // A stream (never sent by the token endpoint) cannot be read here without consuming it.
  if (text === undefined) return UNKNOWN_ERROR;
  try {
    const body: unknown = JSON.parse(text);
    const error = body !== null && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
    return typeof error === 'string' && ERROR_CODE.test(error) ? error : UNKNOWN_ERROR;
  } catch {
    // Not JSON: not an answer of ours, but still a failed request.
    return UNKNOWN_ERROR;
  }
}
