import type { ClientSecret } from '../stores/models';
import { matchesSharedSecret, sha256 } from './shared-secret';

const now = new Date('2026-01-01T00:00:00Z');
const secret = (value: string, expiration?: Date): ClientSecret => ({ type: 'SharedSecret', sha256: sha256(value), expiration });

describe('matchesSharedSecret', () => {
  it('when one of the secrets matches, should accept', () => {
    expect(matchesSharedSecret([secret('one'), secret('two')], 'two', now)).toBe(true);
  });

  it('when none matches, should refuse', () => {
    expect(matchesSharedSecret([secret('one')], 'One', now)).toBe(false);
    expect(matchesSharedSecret([], 'one', now)).toBe(false);
  });

  it('when the matching secret has expired, should refuse', () => {
    expect(matchesSharedSecret([secret('one', new Date('2025-12-31T00:00:00Z'))], 'one', now)).toBe(false);
  });

  it('when only JsonWebKey secrets exist, should refuse', () => {
    expect(matchesSharedSecret([{ type: 'JsonWebKey', jwk: { kty: 'EC' } }], 'one', now)).toBe(false);
  });
});
