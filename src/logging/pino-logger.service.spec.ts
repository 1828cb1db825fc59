import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import type { LogLevel } from '../config/app-config';
import { PinoLoggerService } from './pino-logger.service';
import { createRootLogger } from './root-logger';

function capture(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, service: new PinoLoggerService(createRootLogger({ logLevel: level, logFormat: 'json' }, destination)) };
}

describe('PinoLoggerService', () => {
  afterEach(() => Logger.overrideLogger(true));

  it('log, with a Nest context, should write one JSON line with msg and context', () => {
    const { lines, service } = capture('info');
    service.log('Deleted expired signing key K1', 'KeyManager');
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'Deleted expired signing key K1', context: 'KeyManager' })]);
  });

  it('error, with an object message, should merge its fields and keep the request id', () => {
    const { lines, service } = capture('info');
    service.error({ err: new Error('boom'), requestId: 'abc-1' }, 'unhandled error', 'ProtocolExceptionFilter');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'unhandled error', requestId: 'abc-1', context: 'ProtocolExceptionFilter' });
    expect(lines[0].err).toMatchObject({ message: 'boom', type: 'Error' });
  });

  it('error, with a message and a stack (Nest exception handlers), should log the stack as err', () => {
    const { lines, service } = capture('info');
    service.error('it failed', 'Error: it failed\n    at somewhere (file.js:1:1)', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'it failed', stack: expect.stringContaining('at somewhere') } });
  });

  it('error, from Nest ExceptionHandler at start-up, should be debug only (main.ts reports the failure in one line)', () => {
    const quiet = capture('info');
    quiet.service.error(new Error('Invalid configuration: PORT'), undefined, 'ExceptionHandler');
    expect(quiet.lines).toEqual([]);
    const { lines, service } = capture('debug');
    service.error(new Error('Invalid configuration: PORT'), undefined, 'ExceptionHandler');
    expect(lines[0]).toMatchObject({ level: 20, msg: 'Invalid configuration: PORT', context: 'ExceptionHandler', err: { message: 'Invalid configuration: PORT' } });
  });

  it.each(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication'])(
    'log, from Nest bootstrap context %s, should be debug, not info', (context) => {
      const quiet = capture('info');
      quiet.service.log('Mapped {/connect/token, POST} route', context);
      expect(quiet.lines).toEqual([]);
      const { lines, service } = capture('debug');
      service.log('Mapped {/connect/token, POST} route', context);
      expect(lines).toEqual([expect.objectContaining({ level: 20, context })]);
    });

  it('debug, below LOG_LEVEL, should write nothing', () => {
    const { lines, service } = capture('warn');
    service.debug('client authentication failed', 'DefaultClientAuthenticator');
    service.log('started', 'NestApplication');
    expect(lines).toEqual([]);
  });

  it('should redact authorization and cookie headers and drop query strings of logged requests', () => {
    const { lines, service } = capture('info');
    service.warn({
      req: { id: 'r1', method: 'GET', url: '/connect/authorize?code=secret-code', headers: { authorization: 'Basic c2VjcmV0' } },
      headers: { cookie: 'session=x' },
    }, 'odd request');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('secret-code');
    expect(text).not.toContain('c2VjcmV0');
    expect(lines[0]).toMatchObject({ req: { id: 'r1', method: 'GET', url: '/connect/authorize' } });
  });

  it('through Nest Logger, should receive the class context', () => {
    const { lines, service } = capture('info');
    Logger.overrideLogger(service);
    new Logger('TokenController').warn('slow store');
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'slow store', context: 'TokenController' })]);
  });
});
