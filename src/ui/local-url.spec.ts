import { isLocalUrl, toLocationHeader } from './local-url';

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

describe('toLocationHeader', () => {
  it.each([
    ['/ü→x', '/%C3%BC%E2%86%92x'],
    ['/a b?q=日本', '/a%20b?q=%E6%97%A5%E6%9C%AC'],
    ['/emoji/😀', '/emoji/%F0%9F%98%80'],
    ['/lone\uD800', '/lone%EF%BF%BD'],
    ['/connect/authorize/callback?ctx=a%2Fb', '/connect/authorize/callback?ctx=a%2Fb'],
  ])('when given %j, should percent-encode everything outside printable ASCII as UTF-8 (%s)', (url, expected) => {
    expect(toLocationHeader(url)).toBe(expected);
  });
});
