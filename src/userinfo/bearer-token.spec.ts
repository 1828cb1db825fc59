import type { FastifyRequest } from 'fastify';
import { readBearerToken } from './bearer-token';

function request(options: { authorization?: string; method?: string; form?: Record<string, unknown> }): FastifyRequest {
  return {
    method: options.method ?? (options.form ? 'POST' : 'GET'),
    headers: {
      ...(options.authorization !== undefined ? { authorization: options.authorization } : {}),
      ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: options.form,
  } as unknown as FastifyRequest;
}

describe('readBearerToken', () => {
  it('when the token is in the Authorization header (any case of "Bearer"), should return it', () => {
    expect(readBearerToken(request({ authorization: 'Bearer abc.def-ghi' }))).toBe('abc.def-ghi');
    expect(readBearerToken(request({ authorization: 'bearer abc' }))).toBe('abc');
  });

  it('when the token is in a POSTed form, should return it', () => {
    expect(readBearerToken(request({ form: { access_token: 'abc' } }))).toBe('abc');
  });

  it('when there is no token, should answer 401 with a bare Bearer challenge (RFC 6750 §3.1)', () => {
    expect(() => readBearerToken(request({}))).toThrow(expect.objectContaining({ status: 401, headers: { 'www-authenticate': 'Bearer realm="identity-server"' } }));
  });

  it('when the token is sent twice, by header and form, should answer invalid_request', () => {
    expect(() => readBearerToken(request({ authorization: 'Bearer a', form: { access_token: 'b' } })))
      .toThrow(expect.objectContaining({ error: 'invalid_request', status: 400 }));
  });

  it('when the header uses another scheme or the form repeats the token, should answer invalid_request', () => {
    expect(() => readBearerToken(request({ authorization: 'Basic abc' }))).toThrow(expect.objectContaining({ error: 'invalid_request' }));
    expect(() => readBearerToken(request({ form: { access_token: ['a', 'b'] } }))).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });

  it('when the token is in the query string or a GET body, should ignore it', () => {
    expect(() => readBearerToken(request({ method: 'GET', form: { access_token: 'abc' } }))).toThrow(expect.objectContaining({ status: 401 }));
  });
});
