import { accessTokenClaimsProblem } from './access-token-claims';

const NOW = 1_800_000_000;
const LIFETIME = 3600;

function claims(change: (c: Record<string, unknown>) => void = () => undefined): Record<string, unknown> {
  const c: Record<string, unknown> = {
    iss: 'https://id.example', aud: ['urn:api1', 'urn:api2'], client_id: 'web', scope: 'openid api1', sub: '1',
    exp: NOW + 300, iat: NOW, nbf: NOW, jti: 'j1',
  };
  change(c);
  return c;
}

describe('accessTokenClaimsProblem', () => {
  it('when the claim set is well-formed, should find no problem', () => {
    expect(accessTokenClaimsProblem(claims(), LIFETIME, NOW)).toBeUndefined();
    expect(accessTokenClaimsProblem(claims((c) => { delete c.sub; c.aud = 'urn:api1'; }), LIFETIME, NOW)).toBeUndefined();
  });

  it('when exp lies exactly the lifetime plus the 30 s skew ahead, should still accept it', () => {
    expect(accessTokenClaimsProblem(claims((c) => { c.exp = NOW + LIFETIME + 30; }), LIFETIME, NOW)).toBeUndefined();
    expect(accessTokenClaimsProblem(claims((c) => { c.iat = NOW + 30; }), LIFETIME, NOW)).toBeUndefined();
  });

  it.each<[string, (c: Record<string, unknown>) => void, string]>([
    ['no client_id', (c) => { delete c.client_id; }, 'client_id is missing'],
    ['scope as an array', (c) => { c.scope = ['openid']; }, 'scope is not a string'],
    ['no scope', (c) => { delete c.scope; }, 'scope is not a string'],
    ['no jti', (c) => { delete c.jti; }, 'jti is missing'],
    ['an empty jti', (c) => { c.jti = ''; }, 'jti is missing'],
    ['no iat', (c) => { delete c.iat; }, 'iat is missing'],
    ['iat as a string', (c) => { c.iat = String(NOW); }, 'iat is missing'],
    ['iat 31 s in the future', (c) => { c.iat = NOW + 31; }, 'iat is in the future'],
    ['no exp', (c) => { delete c.exp; }, 'exp is missing'],
    ['exp Infinity', (c) => { c.exp = Infinity; }, 'exp is missing'],
    ['exp 100 years ahead', (c) => { c.exp = NOW + 100 * 365 * 86_400; }, 'exp is further ahead than the client\'s access-token lifetime'],
    ['exp one second beyond the lifetime plus skew', (c) => { c.exp = NOW + LIFETIME + 31; }, 'exp is further ahead than the client\'s access-token lifetime'],
    ['sub as a number', (c) => { c.sub = 1; }, 'sub is not a string'],
    ['an empty sub', (c) => { c.sub = ''; }, 'sub is not a string'],
    ['aud as an object', (c) => { c.aud = { a: 1 }; }, 'aud is malformed'],
    ['aud with a number inside', (c) => { c.aud = ['urn:api1', 2]; }, 'aud is malformed'],
  ])('when the token has %s, should name the broken rule', (_, change, problem) => {
    expect(accessTokenClaimsProblem(claims(change), LIFETIME, NOW)).toBe(problem);
  });
});
