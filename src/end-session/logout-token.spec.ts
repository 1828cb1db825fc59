import { BACK_CHANNEL_LOGOUT_EVENT, buildLogoutTokenClaims, LOGOUT_TOKEN_LIFETIME_SECONDS } from './logout-token';
import { postLogoutRedirectUrl } from './end-session.service';
import { clientIdOfIdToken } from './end-session-request.validator';

describe('buildLogoutTokenClaims', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('should carry iss, aud, iat, exp, jti, events, sub and sid — and no nonce', () => {
    const claims = buildLogoutTokenClaims({ issuer: 'https://idp', clientId: 'tv', subjectId: '1', sessionId: 'S', now, jti: 'j' });
    const iat = now.getTime() / 1000;
    expect(claims).toEqual({
      iss: 'https://idp', aud: 'tv', iat, exp: iat + LOGOUT_TOKEN_LIFETIME_SECONDS, jti: 'j',
      events: { [BACK_CHANNEL_LOGOUT_EVENT]: {} }, sub: '1', sid: 'S',
    });
    expect(claims).not.toHaveProperty('nonce');
  });

  it('with only a sid, should leave sub out', () => {
    expect(buildLogoutTokenClaims({ issuer: 'i', clientId: 'c', sessionId: 'S', now, jti: 'j' })).not.toHaveProperty('sub');
  });

  it('with neither sub nor sid, should refuse (Back-Channel Logout 1.0 §2.4)', () => {
    expect(() => buildLogoutTokenClaims({ issuer: 'i', clientId: 'c', now, jti: 'j' })).toThrow();
  });
});

describe('postLogoutRedirectUrl', () => {
  it('should append state, keeping the registered query', () => {
    expect(postLogoutRedirectUrl('https://rp.example/out?x=1', 'a b')).toBe('https://rp.example/out?x=1&state=a+b');
  });
  it('without state, should return the URI unchanged', () => {
    expect(postLogoutRedirectUrl('https://rp.example/out', undefined)).toBe('https://rp.example/out');
  });
});

describe('clientIdOfIdToken', () => {
  it('should prefer azp, then a single audience', () => {
    expect(clientIdOfIdToken({ aud: ['a', 'b'], azp: 'a' })).toBe('a');
    expect(clientIdOfIdToken({ aud: 'c' })).toBe('c');
    expect(clientIdOfIdToken({ aud: ['c'] })).toBe('c');
    expect(clientIdOfIdToken({ aud: ['a', 'b'] })).toBeUndefined();
  });
});
