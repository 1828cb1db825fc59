import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import {
  compileForwardedHeadersPolicy,
  isValidHost,
  resolveForwardedHeaders,
  type ForwardedHeadersPolicy,
} from './forwarded-headers.policy';
import { ForwardedHeadersMonitor } from './forwarded-headers.monitor';
import type { RequestOrigin } from './request-origin';
import { InvalidRequestError } from '../protocol/protocol-errors';

/**
 * Resolves `request.requestOrigin` once per request in a Fastify onRequest hook — before
 * routing, body parsing and every controller — so nothing else reads forwarded headers.
 */
@Injectable()
export class RequestOriginHook implements OnModuleInit {
  private readonly policy: ForwardedHeadersPolicy;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly monitor: ForwardedHeadersMonitor,
  ) {
    this.policy = compileForwardedHeadersPolicy(config.forwardedHeaders);
  }

  onModuleInit(): void {
    // The admin CLI runs an application context without HTTP: nothing to hook then.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.decorateRequest('requestOrigin', undefined);
    // Callback style, not async: no promise per request on every route.
    fastify.addHook('onRequest', (request, _reply, done) => {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused with 400 (here rather than by
      // Node, whose own answer has an empty body, not RFC 6749 §5.2 JSON or the error page).
      if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
        done(new InvalidRequestError('the Host header is missing'));
        return;
      }
      request.requestOrigin = this.resolve(request);
      done();
    });
  }

  resolve(request: FastifyRequest): RequestOrigin {
    const headers = request.headers;
    const socket = request.raw.socket;
    const encrypted = 'encrypted' in socket && socket.encrypted === true;
    const result = resolveForwardedHeaders({
      remoteAddress: socket.remoteAddress,
      scheme: encrypted ? 'https' : 'http',
      host: headers.host,
      xForwardedFor: headers['x-forwarded-for'],
      xForwardedProto: headers['x-forwarded-proto'],
      xForwardedHost: headers['x-forwarded-host'],
    }, this.policy);
    if (result.ignored) this.monitor.record(result.ignored, socket.remoteAddress ?? 'unknown');

    // A missing or malformed Host must not become part of an issuer: fall back to the address
    // the connection arrived on.
    const host = isValidHost(result.host) ? result.host : localHost(socket.localAddress, socket.localPort);
    return {
      clientIp: result.clientIp,
      scheme: result.scheme,
      host,
      issuer: this.config.issuerUri ?? `${result.scheme}://${host}`,
    };
  }
}

function localHost(address: string | undefined, port: number | undefined): string {
  const name = !address ? 'localhost' : address.includes(':') ? `[${address}]` : address;
  return port ? `${name}:${port}` : name;
}
