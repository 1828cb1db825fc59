import { UnsupportedTokenTypeError } from '../protocol/protocol-errors';
import { lookupOrder } from './revocation.service';

describe('lookupOrder', () => {
  it('when no hint is given, should try reference tokens then refresh tokens', () => {
    expect(lookupOrder(undefined)).toEqual(['reference_token', 'refresh_token']);
  });

  it('when the hint is refresh_token, should try refresh tokens first but still both (RFC 7009 §2.1)', () => {
    expect(lookupOrder('refresh_token')).toEqual(['refresh_token', 'reference_token']);
    expect(lookupOrder('access_token')).toEqual(['reference_token', 'refresh_token']);
  });

  it('when the hint is a type the server does not revoke, should be unsupported_token_type', () => {
    expect(() => lookupOrder('id_token')).toThrow(UnsupportedTokenTypeError);
  });
});
