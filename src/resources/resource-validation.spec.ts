import type { ApiResource, Client } from '../stores/models';
import { ResourceIndex } from './resource-catalog';
import { validateResources, type ResourceRequest } from './resource-validation';

const api = (name: string, scopes: string[]): ApiResource => ({ name, scopes, apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] });
const index = new ResourceIndex({
  identityResources: [{ name: 'openid', userClaims: ['sub'] }],
  apiScopes: [{ name: 'api1', userClaims: [] }, { name: 'api2', userClaims: [] }, { name: 'shared', userClaims: [] }],
  apiResources: [api('urn:api1', ['api1', 'shared']), api('urn:api2', ['api2', 'shared'])],
});
function client(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'm2m', enabled: true, clientSecrets: [], requireClientSecret: true,
    allowedGrantTypes: ['client_credentials'], allowedScopes: ['openid', 'api1', 'api2', 'shared', 'undefined-scope'],
    redirectUris: [], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: false,
    accessTokenType: 'jwt', accessTokenLifetime: 3600, identityTokenLifetime: 300, authorizationCodeLifetime: 300,
    deviceCodeLifetime: 300, refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute',
    absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000, allowedTokenSigningAlgorithms: [],
    alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false, ...overrides,
  };
}
const machine = (overrides: Partial<ResourceRequest>): ResourceRequest =>
  ({ client: client(), allowIdentityScopes: false, allowOfflineAccess: false, ...overrides });

describe('validateResources', () => {
  it('when no scope is sent, should grant every allowed API scope with their audiences', () => {
    const result = validateResources(index, machine({}));
    expect(result).toMatchObject({ valid: true, resources: { scopes: ['api1', 'api2', 'shared'] } });
    if (result.valid) expect(result.resources.apiResources.map((a) => a.name)).toEqual(['urn:api1', 'urn:api2']);
  });

  it('when a scope is requested, should grant it with the APIs it belongs to', () => {
    const result = validateResources(index, machine({ scope: 'api1 api1' }));
    expect(result.valid && result.resources.scopes).toEqual(['api1']);
    expect(result.valid && result.resources.apiResources.map((a) => a.name)).toEqual(['urn:api1']);
  });

  it.each([
    ['not allowed for the client', 'api3'],
    ['allowed but not defined', 'undefined-scope'],
    ['an identity scope in a machine grant', 'openid'],
    ['offline_access in a machine grant', 'offline_access'],
    ['with invalid characters', 'api1 "x"'],
    ['empty', '  '],
  ])('when the scope is %s, should be invalid_scope', (_name, scope) => {
    expect(validateResources(index, machine({ scope }))).toMatchObject({ valid: false, error: 'invalid_scope' });
  });

  it('when offline_access is requested by a client that may refresh, should grant it', () => {
    const result = validateResources(index, {
      client: client({ allowOfflineAccess: true, allowedGrantTypes: ['authorization_code', 'refresh_token'] }),
      scope: 'openid offline_access api1', allowIdentityScopes: true, allowOfflineAccess: true,
    });
    expect(result).toMatchObject({ valid: true, resources: { scopes: ['openid', 'offline_access', 'api1'], offlineAccess: true } });
  });

  it('when resource names one API, should narrow audience and scopes to it (RFC 8707)', () => {
    const result = validateResources(index, machine({ scope: 'api1 api2 shared', resource: 'urn:api2' }));
    expect(result.valid && result.resources.scopes).toEqual(['api2', 'shared']);
    expect(result.valid && result.resources.apiResources.map((a) => a.name)).toEqual(['urn:api2']);
  });

  it.each([
    ['an unknown API', 'urn:api9'],
    ['an API none of the scopes belong to', 'urn:api2'],
    ['a relative URI', 'api1'],
    ['a URI with a fragment', 'urn:api1#x'],
  ])('when resource is %s, should be invalid_target', (_name, resource) => {
    expect(validateResources(index, machine({ scope: 'api1', resource }))).toMatchObject({ valid: false, error: 'invalid_target' });
  });
});
