import { FakeClock } from '../../test/support/fakes/key-management.fakes';
import { ResourceCatalog } from '../resources/resource-catalog';
import { ClientStore } from '../stores/client.store';
import { ResourceStore } from '../stores/resource.store';
import type { Client, Resources } from '../stores/models';
import { AuthorizeRequestValidator } from './authorize-request.validator';

const REDIRECT = 'https://app.example/cb';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

function client(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'web', enabled: true, clientSecrets: [], requireClientSecret: true,
    allowedGrantTypes: ['authorization_code', 'refresh_token'], allowedScopes: ['openid', 'profile', 'api1'],
    redirectUris: [REDIRECT], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: true,
    accessTokenType: 'jwt', accessTokenLifetime: 3600, identityTokenLifetime: 300, authorizationCodeLifetime: 300, deviceCodeLifetime: 300,
    refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute', absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000,
    allowedTokenSigningAlgorithms: [], alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false,
    ...overrides,
  };
}

class FakeClientStore extends ClientStore {
  constructor(private readonly clients: readonly Client[]) { super(); }
  async findClientById(clientId: string): Promise<Client | undefined> { return this.clients.find((c) => c.clientId === clientId); }
}

class FakeResourceStore extends ResourceStore {
  readonly resources: Resources = {
    identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', userClaims: ['name'] }],
    apiScopes: [{ name: 'api1', userClaims: [] }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] }],
  };
  async getAllResources(): Promise<Resources> { return this.resources; }
}

function validator(clients: readonly Client[] = [client()]): AuthorizeRequestValidator {
  return new AuthorizeRequestValidator(new FakeClientStore(clients), new ResourceCatalog(new FakeResourceStore(), new FakeClock()));
}

const valid = {
  client_id: 'web', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile api1 offline_access',
  code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 'st', nonce: 'n',
};

describe('AuthorizeRequestValidator.validate', () => {
  it('when the request is complete, should return the validated request', async () => {
    const result = await validator().validate(valid, { pushed: false });
    expect(result).toMatchObject({
      valid: true,
      request: { redirectUri: REDIRECT, responseMode: 'query', state: 'st', nonce: 'n', codeChallengeMethod: 'S256', pushed: false },
    });
    if (result.valid) expect(result.request.resources.scopes).toEqual(['openid', 'profile', 'api1', 'offline_access']);
  });

  it.each([
    ['client_id is missing', { client_id: undefined }],
    ['the client is unknown', { client_id: 'nobody' }],
    ['redirect_uri is missing', { redirect_uri: undefined }],
    ['redirect_uri is not registered', { redirect_uri: 'https://app.example/cb/other' }],
    ['state is absurdly long', { state: 'x'.repeat(3000) }],
  ])('when %s, should answer with the error page (never a redirect)', async (_what, change) => {
    const result = await validator().validate(withChanges(change), { pushed: false });
    expect(result).toMatchObject({ valid: false, kind: 'page' });
  });

  it('when the client is disabled, should answer with the error page', async () => {
    const result = await validator([client({ enabled: false })]).validate(valid, { pushed: false });
    expect(result).toMatchObject({ valid: false, kind: 'page', error: 'invalid_client' });
  });

  it.each([
    ['unsupported_response_type', { response_type: 'token' }],
    ['invalid_request', { response_type: undefined }],
    ['invalid_request', { code_challenge_method: 'plain' }],
    ['invalid_request', { code_challenge_method: undefined }],
    ['invalid_request', { code_challenge: undefined, code_challenge_method: undefined }],
    ['invalid_request', { code_challenge: 'too-short' }],
    ['invalid_scope', { scope: 'openid api2' }],
    ['invalid_scope', { scope: undefined }],
    ['invalid_request', { prompt: 'none login' }],
    ['invalid_request', { prompt: 'bogus' }],
    ['invalid_request', { max_age: '-1' }],
    ['invalid_request', { response_mode: 'fragment' }],
    ['request_not_supported', { request: 'eyJ...' }],
    ['invalid_request', { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }],
  ])('when the request is wrong in a way the client can hear about, should redirect %s', async (error, change) => {
    const result = await validator().validate(withChanges(change), { pushed: false });
    expect(result).toMatchObject({ valid: false, kind: 'redirect', error, target: { redirectUri: REDIRECT, state: 'st' } });
  });

  it('when response_mode is invalid, should still report the error with the query response mode', async () => {
    const result = await validator().validate(withChanges({ response_mode: 'fragment' }), { pushed: false });
    expect(result).toMatchObject({ target: { responseMode: 'query' } });
  });

  it('when the client may not use the code flow, should redirect unauthorized_client', async () => {
    const result = await validator([client({ allowedGrantTypes: ['client_credentials'] })]).validate(valid, { pushed: false });
    expect(result).toMatchObject({ kind: 'redirect', error: 'unauthorized_client' });
  });

  it('when the client requires PAR, should refuse browser requests and accept pushed ones', async () => {
    const parClient = [client({ requirePushedAuthorization: true })];
    expect(await validator(parClient).validate(valid, { pushed: false })).toMatchObject({ kind: 'redirect', error: 'invalid_request' });
    expect(await validator(parClient).validate(valid, { pushed: true })).toMatchObject({ valid: true });
  });

  it('when PKCE is optional for the client and no challenge is sent, should accept the request', async () => {
    const result = await validator([client({ requirePkce: false })]).validate(withChanges({ code_challenge: undefined, code_challenge_method: undefined }), { pushed: false });
    expect(result).toMatchObject({ valid: true, request: { codeChallenge: undefined } });
  });

  it('when a pushed request names another client than the authenticated one, should refuse it', async () => {
    const result = await validator().validate(withChanges({ client_id: 'other' }), { pushed: true, client: client() });
    expect(result).toMatchObject({ valid: false, kind: 'page', error: 'invalid_request' });
  });

  it('when offline_access is asked but the client may not have refresh tokens, should redirect invalid_scope', async () => {
    const result = await validator([client({ allowOfflineAccess: false })]).validate(valid, { pushed: false });
    expect(result).toMatchObject({ kind: 'redirect', error: 'invalid_scope' });
  });
});

function withChanges(change: Record<string, string | undefined>): Record<string, string> {
  const merged: Record<string, string | undefined> = { ...valid, ...change };
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
