import { Logger, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { ProtocolExceptionFilter } from './protocol-exception.filter';

interface Sent {
  status?: number;
  type?: string;
  headers: Record<string, string>;
  body?: string;
}

/** Runs the filter on one exception for a request to `url`; returns what it sent. */
function answer(exception: unknown, url = '/connect/token', socketDestroyed = false): Sent {
  const sent: Sent = { headers: {} };
  const reply = {
    sent: false,
    header(name: string, value: string) { sent.headers[name] = value; return reply; },
    status(code: number) { sent.status = code; return reply; },
    type(value: string) { sent.type = value; return reply; },
    send(body: string) { sent.body = body; return reply; },
  };
  const request = { id: 'req-1', method: 'POST', url, raw: { socket: { destroyed: socketDestroyed } } };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply as unknown as FastifyReply, getRequest: () => request as unknown as FastifyRequest }),
  } as unknown as ArgumentsHost;
  new ProtocolExceptionFilter().catch(exception, host);
  return sent;
}

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('ProtocolExceptionFilter and outages', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => { logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined); });
  afterEach(() => logged.mockRestore());

  it('a DependencyUnavailableError, should answer 503 temporarily_unavailable with Retry-After and log one line naming it', () => {
    const sent = answer(new DependencyUnavailableError('redis', 'Connection is closed.'));
    expect(sent).toMatchObject({ status: 503, type: 'application/json', headers: { 'retry-after': '5', 'cache-control': 'no-store' } });
    expect(JSON.parse(sent.body ?? '')).toEqual({ error: 'temporarily_unavailable', error_description: 'Redis is temporarily unavailable; retry later' });
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0][1]).toContain('redis unavailable');
  });

  it.each([
    ['a refused database connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a TypeORM QueryFailedError of a PostgreSQL shutdown', Object.assign(new Error('terminating connection due to administrator command'), { driverError: withCode('terminating connection due to administrator command', '57P01') })],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['SQLite busy after its timeout', withCode('database is locked', 'SQLITE_BUSY')],
  ])('a raw driver error (%s), should answer 503 for the database, never 500', (_, error) => {
    const sent = answer(error);
    expect([sent.status, sent.headers['retry-after'], JSON.parse(sent.body ?? '').error]).toEqual([503, '5', 'temporarily_unavailable']);
    expect(sent.body).toContain('database');
    expect(sent.body).not.toContain('ECONNREFUSED');
  });

  it('a raw ioredis connection error, should answer 503 for redis', () => {
    expect(JSON.parse(answer(new Error("Stream isn't writeable and enableOfflineQueue options is false")).body ?? '')).toMatchObject({ error: 'temporarily_unavailable', error_description: 'Redis is temporarily unavailable; retry later' });
  });

  it('a genuine bug, should still answer 500 server_error', () => {
    const sent = answer(new TypeError("Cannot read properties of undefined (reading 'subjectId')"));
    expect([sent.status, JSON.parse(sent.body ?? '').error]).toEqual([500, 'server_error']);
    expect(sent.headers['retry-after']).toBeUndefined();
  });

  it.each(['/account/login', '/consent', '/device', '/connect/authorize?client_id=web', '/connect/endsession', '/account/logout'])(
    'an outage on the page %s, should show the error page with status 503 and Retry-After', (url) => {
      const sent = answer(new DependencyUnavailableError('database', 'down'), url);
      expect(sent).toMatchObject({ status: 503, type: 'text/html; charset=utf-8', headers: { 'retry-after': '5' } });
      expect(sent.body).toContain('temporarily_unavailable');
    },
  );

  it('the client gone (its body answered 408 by the server, then the read aborted with ECONNRESET), should send nothing and log no outage', () => {
    const sent = answer(withCode('aborted', 'ECONNRESET'), '/connect/token', true);
    expect(sent).toEqual({ headers: {} });
    expect(logged).not.toHaveBeenCalled();
  });

  it.each(['/account/login', '/device', '/connect/authorize'])(
    'a malformed body at the page %s, should show the error page with its 4xx status, not JSON', (url) => {
      const sent = answer(Object.assign(new Error('Unexpected token'), { statusCode: 400 }), url);
      expect(sent).toMatchObject({ status: 400, type: 'text/html; charset=utf-8' });
      expect(sent.body).toContain('invalid_request');
    },
  );
});
