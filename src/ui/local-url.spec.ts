import { isLocalUrl } from './local-url';

describe('isLocalUrl', () => {
  it.each(['/connect/authorize/callback?ctx=abc', '/', '/consent?returnUrl=%2Fx'])('when given the local path %s, should accept it', (url) => {
    expect(isLocalUrl(url)).toBe(true);
  });

  it.each([
    'https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '', 'relative/path', '/ok\n//evil', '/a\\b',
  ])('when given %j, should refuse it', (url) => {
    expect(isLocalUrl(url)).toBe(false);
  });

  it('when given undefined, should refuse it', () => {
    expect(isLocalUrl(undefined)).toBe(false);
  });
});
