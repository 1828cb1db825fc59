import type { FastifyRequest } from 'fastify';
import { InvalidClientError, InvalidRequestError } from '../protocol/protocol-errors';
import { JWT_BEARER_ASSERTION_TYPE, readBasicCredentials, readPresentedCredentials } from './presented-credentials';

function requestWith(authorization?: string): FastifyRequest {
  return { headers: authorization === undefined ? {} : { authorization } } as unknown as FastifyRequest;
}
const basic = (raw: string): string => `Basic ${Buffer.from(raw).toString('base64')}`;

describe('readBasicCredentials', () => {
  it('when id and secret are form-urlencoded, should decode both (RFC 6749 §2.3.1)', () => {
    expect(readBasicCredentials(basic('urn%3Aapi1:a%2Bb+c%3Ad'))).toEqual({ clientId: 'urn:api1', secret: 'a+b c:d' });
  });

  it('when the header is not Basic, should ignore it', () => {
    expect(readBasicCredentials('Bearer abc')).toBeUndefined();
    expect(readBasicCredentials(undefined)).toBeUndefined();
  });

  it.each([
    ['no colon', basic('justid')],
    ['not base64', 'Basic !!!'],
    ['empty', 'Basic '],
    ['bad percent-encoding', basic('%E0%A4%A:secret')],
    ['empty id', basic(':secret')],
  ])('when malformed (%s), should throw invalid_client with a Basic challenge', (_name, header) => {
    let thrown: unknown;
    try { readBasicCredentials(header); } catch (error) { thrown = error; }
    expect(thrown).toBeInstanceOf(InvalidClientError);
    expect((thrown as InvalidClientError).headers['www-authenticate']).toMatch(/^Basic/);
  });
});

describe('readPresentedCredentials', () => {
  it('when Basic and a posted secret are both sent, should refuse two methods', () => {
    expect(() => readPresentedCredentials(requestWith(basic('a:b')), { client_secret: 'x' })).toThrow(InvalidRequestError);
  });

  it('when the body client_id differs from the Basic id, should throw invalid_client', () => {
    expect(() => readPresentedCredentials(requestWith(basic('a:b')), { client_id: 'other' })).toThrow(InvalidClientError);
  });

  it('when client_secret is posted, should read client_secret_post', () => {
    expect(readPresentedCredentials(requestWith(), { client_id: 'c', client_secret: 's' })).toEqual({ kind: 'post', clientId: 'c', secret: 's' });
  });

  it('when an assertion has the wrong type, should throw invalid_client', () => {
    expect(() => readPresentedCredentials(requestWith(), { client_assertion: 'x.y.z', client_assertion_type: 'other' })).toThrow(InvalidClientError);
  });

  it('when an assertion is sent, should read it', () => {
    expect(readPresentedCredentials(requestWith(), { client_assertion: 'x.y.z', client_assertion_type: JWT_BEARER_ASSERTION_TYPE }))
      .toEqual({ kind: 'assertion', clientId: undefined, assertion: 'x.y.z' });
  });

  it('when only client_id is sent, should read none; with nothing, should throw invalid_client', () => {
    expect(readPresentedCredentials(requestWith(), { client_id: 'spa' })).toEqual({ kind: 'none', clientId: 'spa' });
    expect(() => readPresentedCredentials(requestWith(), {})).toThrow(InvalidClientError);
  });
});
