import type { AppConfig } from '../config/app-config';
import { ifNoneMatchMatches, jwksMaxAgeSeconds, quoteEntityTag } from './http-caching';

const DAY = 24 * 3600 * 1000;

function keyManagement(overrides: Partial<AppConfig['keyManagement']> = {}): AppConfig['keyManagement'] {
  return {
    enabled: true, rotationInterval: 90 * DAY, propagationTime: 14 * DAY, retentionDuration: 14 * DAY,
    deleteRetiredKeys: true, keyStore: 'database', keyPath: 'keys', dataProtectKeys: true,
    signingAlgorithms: [{ alg: 'RS256', x509: false }], checkInterval: 3600_000, keyCacheDuration: DAY,
    ...overrides,
  };
}

describe('jwksMaxAgeSeconds', () => {
  it('with the default 14 days propagation, should cap at one hour', () => {
    expect(jwksMaxAgeSeconds(keyManagement())).toBe(3600);
  });

  it('with a short propagation time, should stay well inside what is left after the key cache', () => {
    // 10 minutes propagation, 2 minutes key cache: 8 minutes left, cache for half of it.
    expect(jwksMaxAgeSeconds(keyManagement({ propagationTime: 600_000, keyCacheDuration: 120_000 }))).toBe(240);
  });

  it('without key management (static keys), should use the cap', () => {
    expect(jwksMaxAgeSeconds(keyManagement({ enabled: false, propagationTime: 1000 }))).toBe(3600);
  });
});

describe('ifNoneMatchMatches', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
  ])('with If-None-Match %p, should be %p', (header, expected) => {
    expect(ifNoneMatchMatches(header, '"abc"')).toBe(expected);
  });
});

describe('quoteEntityTag', () => {
  it('should quote a bare tag and keep a quoted one', () => {
    expect(quoteEntityTag('abc')).toBe('"abc"');
    expect(quoteEntityTag('"abc"')).toBe('"abc"');
    expect(quoteEntityTag('W/"abc"')).toBe('W/"abc"');
  });
});
