import type { Client, PersistedGrant } from '../../stores/models';
import type { RefreshTokenPayload, StoredRefreshToken } from '../../token-issuance/refresh-token.service';
import { checkRefreshToken, narrowScopes } from './refresh-token.grant-handler';

const now = new Date('2026-01-01T12:00:00Z');

function client(extra: Partial<Client> = {}): Client {
  return { clientId: 'tv', allowOfflineAccess: true, ...extra } as Client;
}

function stored(grant: Partial<PersistedGrant> = {}, payload: Partial<RefreshTokenPayload> = {}): StoredRefreshToken {
  return {
    grant: { key: 'k', type: 'refresh_token', clientId: 'tv', creationTime: now, expiration: new Date(now.getTime() + 1000), data: '', ...grant },
    payload: {
      v: 1, subjectId: '1', clientId: 'tv', scopes: ['api1', 'offline_access'], familyId: 'f', familyCreatedAt: 0, createdAt: 0, ...payload,
    },
  };
}

describe('checkRefreshToken', () => {
  it('when everything holds, should accept', () => {
    expect(checkRefreshToken(stored(), client(), now)).toEqual({ valid: true });
  });

  it('when another client presents it, should refuse', () => {
    expect(checkRefreshToken(stored(), client({ clientId: 'other' }), now)).toMatchObject({ valid: false, reason: 'wrong-client' });
  });

  it('when expired (to the millisecond), should refuse', () => {
    expect(checkRefreshToken(stored({ expiration: now }), client(), now)).toMatchObject({ valid: false, reason: 'expired' });
  });

  it('when it has no expiration (absolute lifetime 0), should accept', () => {
    expect(checkRefreshToken(stored({ expiration: undefined }), client(), now)).toEqual({ valid: true });
  });

  it('when already consumed, should report reuse (the caller revokes the family)', () => {
    expect(checkRefreshToken(stored({ consumedTime: new Date(0) }), client(), now)).toMatchObject({ valid: false, reason: 'reused' });
  });

  it('when the client lost allowOfflineAccess, should refuse', () => {
    expect(checkRefreshToken(stored(), client({ allowOfflineAccess: false }), now)).toMatchObject({ valid: false, reason: 'offline-access-withdrawn' });
  });

  it('when the grant lacks offline_access, should refuse', () => {
    expect(checkRefreshToken(stored({}, { scopes: ['api1'] }), client(), now)).toMatchObject({ valid: false, reason: 'offline-access-withdrawn' });
  });
});

describe('narrowScopes', () => {
  const granted = ['openid', 'api1', 'offline_access'];
  it('without scope, should keep the original grant', () => {
    expect(narrowScopes(granted, undefined)).toBe(granted);
  });
  it('with a subset, should narrow to it', () => {
    expect(narrowScopes(granted, 'api1')).toEqual(['api1']);
    expect(narrowScopes(granted, ' api1  openid api1')).toEqual(['api1', 'openid']);
  });
  it('with a scope never granted or an empty scope, should refuse', () => {
    expect(narrowScopes(granted, 'api1 api2')).toBeUndefined();
    expect(narrowScopes(granted, ' ')).toBeUndefined();
  });
});
