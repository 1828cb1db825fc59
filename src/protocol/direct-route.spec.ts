import { Logger } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { addDirectPostRoute } from './direct-route';
import { ProtocolExceptionFilter } from './protocol-exception.filter';
import { InvalidRequestError } from './protocol-errors';

function hostOf(fastify: FastifyInstance): HttpAdapterHost {
  return { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost;
}

describe('addDirectPostRoute', () => {
  let fastify: FastifyInstance;
  let logged: jest.SpyInstance;
  beforeEach(() => {
    fastify = Fastify();
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    logged.mockRestore();
    await fastify.close();
  });

  it('should answer the handler\'s result as JSON, with the headers it set', async () => {
    addDirectPostRoute(hostOf(fastify), '/connect/x', new ProtocolExceptionFilter(), async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      return { active: true };
    });
    const response = await fastify.inject({ method: 'POST', url: '/connect/x' });
    expect({ status: response.statusCode, type: response.headers['content-type'], cache: response.headers['cache-control'], body: response.json() })
      .toEqual({ status: 200, type: 'application/json; charset=utf-8', cache: 'no-store', body: { active: true } });
  });

  it('should answer a protocol error through the filter, in RFC 6749 §5.2 JSON', async () => {
    addDirectPostRoute(hostOf(fastify), '/connect/x', new ProtocolExceptionFilter(), async () => {
      throw new InvalidRequestError('token is missing');
    });
    const response = await fastify.inject({ method: 'POST', url: '/connect/x' });
    expect({ status: response.statusCode, cache: response.headers['cache-control'], body: response.json() })
      .toEqual({ status: 400, cache: 'no-store', body: { error: 'invalid_request', error_description: 'token is missing' } });
  });

  it('should answer an outage 503 temporarily_unavailable with Retry-After, and anything else 500 server_error without its message', async () => {
    let failure: Error = new DependencyUnavailableError('database', 'connection refused');
    addDirectPostRoute(hostOf(fastify), '/connect/x', new ProtocolExceptionFilter(), async () => { throw failure; });
    const outage = await fastify.inject({ method: 'POST', url: '/connect/x' });
    expect({ status: outage.statusCode, retryAfter: outage.headers['retry-after'], error: outage.json().error })
      .toEqual({ status: 503, retryAfter: expect.any(String), error: 'temporarily_unavailable' });
    failure = new TypeError('secret detail');
    const bug = await fastify.inject({ method: 'POST', url: '/connect/x' });
    expect({ status: bug.statusCode, error: bug.json().error }).toEqual({ status: 500, error: 'server_error' });
    expect(bug.body).not.toContain('secret detail');
  });

  it('without an HTTP adapter (the admin CLI) should add nothing', () => {
    expect(() => addDirectPostRoute({ httpAdapter: undefined } as unknown as HttpAdapterHost, '/connect/x', new ProtocolExceptionFilter(), async () => ({}))).not.toThrow();
  });
});
