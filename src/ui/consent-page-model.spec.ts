import { buildConsentPageModel, clientDisplayName, type ConsentPageRequest } from './consent-page-model';
import { OFFLINE_ACCESS_CONSENT_SCOPE } from './ui';

const FORM = { action: '/consent', antiforgeryToken: 'token', returnUrl: '/connect/authorize/callback?x=1', userDisplayName: 'Alice' };

function aRequest(overrides: Partial<ConsentPageRequest> = {}): ConsentPageRequest {
  return {
    client: { clientId: 'web', clientName: 'Web app' },
    identityResources: [{ name: 'openid' }, { name: 'profile', displayName: 'Your profile' }],
    apiScopes: [{ name: 'api1', displayName: 'API 1' }, { name: 'api2' }],
    offlineAccess: false,
    ...overrides,
  };
}

describe('buildConsentPageModel', () => {
  it('should carry the form, the client name and each scope under its display name (else its name)', () => {
    expect(buildConsentPageModel(FORM, aRequest())).toEqual({
      action: '/consent',
      antiforgeryToken: 'token',
      returnUrl: '/connect/authorize/callback?x=1',
      clientName: 'Web app',
      userDisplayName: 'Alice',
      identityScopes: [{ name: 'openid', displayName: 'openid' }, { name: 'profile', displayName: 'Your profile' }],
      apiScopes: [{ name: 'api1', displayName: 'API 1' }, { name: 'api2', displayName: 'api2' }],
      allowRemember: true,
    });
  });

  it('when the client has a logoUri, should carry it for the page; without one, should leave it out', () => {
    expect(buildConsentPageModel(FORM, aRequest({ client: { clientId: 'web', logoUri: 'https://web.example/logo.svg' } })).clientLogoUri)
      .toBe('https://web.example/logo.svg');
    expect(buildConsentPageModel(FORM, aRequest())).not.toHaveProperty('clientLogoUri');
  });

  it('when offline access is asked, should list it last among the API scopes', () => {
    const model = buildConsentPageModel(FORM, aRequest({ offlineAccess: true }));
    expect(model.apiScopes.map((s) => s.name)).toEqual(['api1', 'api2', 'offline_access']);
    expect(model.apiScopes[2]).toEqual(OFFLINE_ACCESS_CONSENT_SCOPE);
  });
});

describe('clientDisplayName', () => {
  it('when the client has no name, should show its id', () => {
    expect(clientDisplayName({ clientId: 'tv' })).toBe('tv');
    expect(clientDisplayName({ clientId: 'tv', clientName: 'Living-room TV' })).toBe('Living-room TV');
  });
});
