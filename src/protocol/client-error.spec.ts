import { Logger } from '@nestjs/common';
import { clientErrorAnswer, errorBody } from './client-error';
import { ProtocolError } from './protocol-errors';

function parserError(code: string, rawPacket?: string): Error & { code: string; rawPacket?: Buffer } {
  return Object.assign(new Error(code), { code, rawPacket: rawPacket === undefined ? undefined : Buffer.from(rawPacket, 'latin1') });
}

describe('clientErrorAnswer', () => {
  it.each<[string, string, string | undefined, number, string]>([
    ['a request not received in time', 'ERR_HTTP_REQUEST_TIMEOUT', undefined, 408, 'the request was not received in time'],
    ['oversized headers', 'HPE_HEADER_OVERFLOW', `GET /connect/token HTTP/1.1\r\nX-A: ${'a'.repeat(100)}`, 431, 'the request headers are too large'],
    ['a request line with no end in sight', 'HPE_HEADER_OVERFLOW', `GET /connect/token?q=${'b'.repeat(100)}`, 414, 'the request URL is too long'],
    ['a request line over 8 KiB', 'HPE_HEADER_OVERFLOW', `GET /x?q=${'b'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n`, 414, 'the request URL is too long'],
    ['an unknown HTTP version', 'HPE_INVALID_VERSION', 'GET / HTTP/3.1\r\n', 505, 'the HTTP version is not supported'],
    ['invalid bytes in the URL', 'HPE_INVALID_URL', 'GET /\xff HTTP/1.1\r\n', 400, 'the request is malformed'],
    ['broken framing', 'HPE_INVALID_CONTENT_LENGTH', 'POST / HTTP/1.1\r\nContent-Length: x\r\n', 400, 'the request is malformed'],
  ])('%s, should be %d invalid_request', (_, code, raw, status, description) => {
    const answer = clientErrorAnswer(parserError(code, raw));
    expect(answer?.error).toMatchObject({ error: 'invalid_request', status, description });
  });

  it('a connection reset by the peer, should have no answer', () => {
    expect(clientErrorAnswer(parserError('ECONNRESET'))).toBeUndefined();
  });

  it('should take the path from the request line, else from the request in flight', () => {
    expect(clientErrorAnswer(parserError('HPE_INVALID_URL', 'GET /account/login?returnUrl=/\xff HTTP/1.1\r\n'))?.path).toBe('/account/login');
    expect(clientErrorAnswer(parserError('ERR_HTTP_REQUEST_TIMEOUT'), '/device')?.path).toBe('/device');
  });
});

describe('errorBody', () => {
  const error = new ProtocolError('invalid_request', 'the request is malformed', 400);

  it('at a browser\'s page, should be the error page', () => {
    const { contentType, body, headers } = errorBody(error, '/connect/authorize', undefined, 'req-1');
    expect(contentType).toBe('text/html; charset=utf-8');
    expect(headers).toMatchObject({ 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    expect(headers['content-security-policy']).toMatch(/script-src 'none'.*frame-ancestors 'none'/);
    expect(body).toContain('<strong id="error">invalid_request</strong>');
    expect(body).toContain('req-1');
  });

  it.each([['/connect/token'], [undefined]])('at %p, should be RFC 6749 §5.2 JSON', (path) => {
    expect(errorBody(error, path, undefined, 'req-1')).toEqual({
      contentType: 'application/json', body: '{"error":"invalid_request","error_description":"the request is malformed"}',
      headers: { 'cache-control': 'no-store' },
    });
  });

  it('with a renderer that fails, should fall back to the built-in page and log one line', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const failing = { errorPage: () => { throw new Error('template broken'); } };
    const { body } = errorBody(error, '/device', failing, 'req-2');
    expect(body).toContain('id="error"');
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
  });
});
