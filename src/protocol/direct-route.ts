import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProtocolExceptionFilter } from './protocol-exception.filter';

/**
 * Adds `POST path` to Fastify directly, beside Nest's router, for the busiest protocol endpoints
 * (token, introspection) — as Duende serves its protocol endpoints from lean endpoint handlers
 * rather than MVC controllers. Nest's router (parameter decorators, pipes, the interceptor chain,
 * the response controller) cost about 8 % of the CPU of a `client_credentials` request (README,
 * "What keeps the hot paths lean"). Nothing else changes: the same Fastify instance parses the
 * form within the body limit and runs the global hooks (request origin, HTTP metrics), `handle`'s
 * result is sent as JSON like a controller's, and its errors are answered by the same
 * ProtocolExceptionFilter as every other route's.
 *
 * Call it from `onModuleInit`. Without an HTTP adapter (the admin CLI's application context)
 * there is nothing to add.
 */
export function addDirectPostRoute(
  adapterHost: HttpAdapterHost,
  path: string,
  errors: ProtocolExceptionFilter,
  handle: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
): void {
  const adapter = adapterHost.httpAdapter;
  if (!adapter) return;
  adapter.getInstance<FastifyInstance>().post(path, async (request, reply) => {
    try {
      return await handle(request, reply);
    } catch (error: unknown) {
      errors.respond(error, request, reply);
      return reply;
    }
  });
}
