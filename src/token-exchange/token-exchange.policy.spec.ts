import { ResourceIndex } from '../resources/resource-catalog';
import type { Client, Resources } from '../stores/models';
import type { AccessTokenClaims } from '../token-issuance/access-token-claims';
import {
  ACCESS_TOKEN_TYPE, actorClaim, grantExchangeScopes, hasAccessTokenShape, narrowToTargets, readExchangeParameters, withLifetimeCappedBy,
} from './token-exchange.policy';

const index = new ResourceIndex({
  identityResources: [{ name: 'openid', userClaims: ['sub'] }, { name: 'profile', userClaims: ['name'] }],
  apiScopes: [{ name: 'api1', userClaims: [] }, { name: 'api2', userClaims: [] }, { name: 'api3', userClaims: [] }],
  apiResources: [
    { name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] },
    { name: 'urn:api2', scopes: ['api2'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] },
    { name: 'https://api3.example', scopes: ['api3'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] },
  ],
} satisfies Resources);

function gateway(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'api-gateway', enabled: true, clientSecrets: [], requireClientSecret: true,
    allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange'], allowedScopes: ['openid', 'api1', 'api2', 'api3'],
    redirectUris: [], postLogoutRedirectUris: [], requirePkce: true, requireConsent: false, allowOfflineAccess: false,
    accessTokenType: 'jwt', accessTokenLifetime: 600, identityTokenLifetime: 300, authorizationCodeLifetime: 300,
    deviceCodeLifetime: 300, refreshTokenUsage: 'oneTime', refreshTokenReuseInterval: 0, refreshTokenExpiration: 'absolute',
    absoluteRefreshTokenLifetime: 2592000, slidingRefreshTokenLifetime: 1296000, allowedTokenSigningAlgorithms: [],
    alwaysIncludeUserClaimsInIdToken: false, requirePushedAuthorization: false, ...overrides,
  };
}

const now = new Date('2030-01-01T00:00:00Z');
const nowSeconds = now.getTime() / 1000;

function subjectClaims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  return {
    iss: 'https://id.example', client_id: 'web', scope: 'openid api1 api2 offline_access', sub: '1',
    iat: nowSeconds - 60, nbf: nowSeconds - 60, exp: nowSeconds + 3540, jti: 'j-1', ...overrides,
  };
}

describe('readExchangeParameters', () => {
  const base = { subject_token: 'S', subject_token_type: ACCESS_TOKEN_TYPE };

  it('with a subject token of the access-token type, should read it with no actor and no target', () => {
    expect(readExchangeParameters(base)).toEqual({ valid: true, parameters: { subjectToken: 'S', actorToken: undefined, scope: undefined, targets: [] } });
  });

  it('with resource and audience, should keep both as targets and the actor token', () => {
    const read = readExchangeParameters({ ...base, actor_token: 'A', actor_token_type: ACCESS_TOKEN_TYPE, resource: 'urn:api1', audience: 'urn:api2', scope: 'api1' });
    expect(read).toEqual({ valid: true, parameters: { subjectToken: 'S', actorToken: 'A', scope: 'api1', targets: ['urn:api1', 'urn:api2'] } });
  });

  it.each([
    ['no subject_token', { subject_token_type: ACCESS_TOKEN_TYPE }, 'subject_token is missing'],
    ['no subject_token_type', { subject_token: 'S' }, 'subject_token_type is missing'],
    ['an id_token subject', { ...base, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'subject_token_type "urn:ietf:params:oauth:token-type:id_token" is not supported'],
    ['actor_token without its type', { ...base, actor_token: 'A' }, 'actor_token_type is missing'],
    ['actor_token_type without actor_token', { ...base, actor_token_type: ACCESS_TOKEN_TYPE }, 'actor_token_type is sent without actor_token'],
    ['a jwt actor type', { ...base, actor_token: 'A', actor_token_type: 'urn:ietf:params:oauth:token-type:jwt' }, 'actor_token_type "urn:ietf:params:oauth:token-type:jwt" is not supported'],
    ['a refresh token requested', { ...base, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'requested_token_type'],
  ])('with %s, should refuse with invalid_request', (_case, params, description) => {
    const read = readExchangeParameters(params);
    expect(read).toMatchObject({ valid: false, error: 'invalid_request' });
    expect(read.valid ? '' : read.description).toContain(description);
  });

  it('with an access-token requested_token_type, should accept', () => {
    expect(readExchangeParameters({ ...base, requested_token_type: ACCESS_TOKEN_TYPE }).valid).toBe(true);
  });

  it.each(['api1', 'urn:api1#frag'])('with resource "%s" (not an absolute URI without fragment), should refuse with invalid_target', (resource) => {
    expect(readExchangeParameters({ ...base, resource })).toMatchObject({ valid: false, error: 'invalid_target' });
  });
});

describe('hasAccessTokenShape', () => {
  it('with every required claim, should accept (with or without sub and act)', () => {
    expect(hasAccessTokenShape(subjectClaims())).toBe(true);
    expect(hasAccessTokenShape(subjectClaims({ sub: undefined, act: { client_id: 'x' } }))).toBe(true);
  });

  it.each([
    ['a non-string scope', { scope: ['api1'] }],
    ['no client_id', { client_id: undefined }],
    ['no jti', { jti: undefined }],
    ['a numeric sub', { sub: 1 }],
    ['a string act', { act: 'someone' }],
  ])('with %s, should refuse', (_case, overrides) => {
    expect(hasAccessTokenShape({ ...subjectClaims(), ...overrides } as unknown as AccessTokenClaims)).toBe(false);
  });
});

describe('grantExchangeScopes', () => {
  it('without scope, should keep the subject scopes the client may request, never offline_access', () => {
    const result = grantExchangeScopes(index, { client: gateway({ allowedScopes: ['openid', 'api1'] }), subject: subjectClaims() });
    expect(result).toMatchObject({ valid: true, resources: { scopes: ['openid', 'api1'], offlineAccess: false } });
    expect(result.valid && result.resources.apiResources.map((api) => api.name)).toEqual(['urn:api1']);
  });

  it('with a subset of the subject scopes, should narrow to it', () => {
    const result = grantExchangeScopes(index, { client: gateway(), subject: subjectClaims(), scope: 'api2' });
    expect(result).toMatchObject({ valid: true, resources: { scopes: ['api2'] } });
  });

  it('with a scope the subject token does not hold (widening), should refuse with invalid_scope', () => {
    expect(grantExchangeScopes(index, { client: gateway(), subject: subjectClaims(), scope: 'api1 api3' }))
      .toMatchObject({ valid: false, error: 'invalid_scope', description: 'scope may only narrow the subject token\'s scopes' });
  });

  it('with a subject scope the client may not request, should refuse with invalid_scope', () => {
    expect(grantExchangeScopes(index, { client: gateway({ allowedScopes: ['api1'] }), subject: subjectClaims(), scope: 'api2' }))
      .toMatchObject({ valid: false, error: 'invalid_scope' });
  });

  it('without scope, when the client may request none of the subject scopes, should refuse with invalid_scope', () => {
    expect(grantExchangeScopes(index, { client: gateway({ allowedScopes: ['api3'] }), subject: subjectClaims() }))
      .toMatchObject({ valid: false, error: 'invalid_scope' });
  });

  it('with offline_access held by the subject, should refuse to pass it on', () => {
    expect(grantExchangeScopes(index, {
      // a client that could hold refresh tokens elsewhere: still none from an exchange
      client: gateway({ allowOfflineAccess: true, allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token'] }),
      subject: subjectClaims(),
      scope: 'api1 offline_access',
    }))
      .toMatchObject({ valid: false, error: 'invalid_scope' });
  });

  it('with an identity scope on a machine subject token, should refuse it', () => {
    const machine = subjectClaims({ sub: undefined, scope: 'openid api1' });
    expect(grantExchangeScopes(index, { client: gateway(), subject: machine, scope: 'openid api1' })).toMatchObject({ valid: false, error: 'invalid_scope' });
  });
});

describe('narrowToTargets', () => {
  const granted = grantExchangeScopes(index, { client: gateway(), subject: subjectClaims({ scope: 'openid api1 api2 api3' }) });
  if (!granted.valid) throw new Error('fixture must be valid');
  const resources = granted.resources;

  it('without targets, should keep every audience', () => {
    expect(narrowToTargets(resources, [])).toEqual({ valid: true, resources });
  });

  it('with one audience, should keep only that API and its scopes (identity scopes stay)', () => {
    const result = narrowToTargets(resources, ['urn:api2']);
    expect(result.valid && result.resources.apiResources.map((api) => api.name)).toEqual(['urn:api2']);
    expect(result.valid && result.resources.scopes).toEqual(['openid', 'api2']);
  });

  it('with a resource and an audience naming two APIs, should keep both', () => {
    const result = narrowToTargets(resources, ['https://api3.example', 'urn:api1']);
    expect(result.valid && result.resources.apiResources.map((api) => api.name)).toEqual(['https://api3.example', 'urn:api1']);
    expect(result.valid && result.resources.scopes).toEqual(['openid', 'api1', 'api3']);
  });

  it('with a target outside the granted scopes (widening), should refuse with invalid_target', () => {
    const onlyApi1 = grantExchangeScopes(index, { client: gateway(), subject: subjectClaims(), scope: 'api1' });
    if (!onlyApi1.valid) throw new Error('fixture must be valid');
    expect(narrowToTargets(onlyApi1.resources, ['urn:api2'])).toMatchObject({ valid: false, error: 'invalid_target' });
    expect(narrowToTargets(onlyApi1.resources, ['urn:unknown'])).toMatchObject({ valid: false, error: 'invalid_target' });
  });
});

describe('actorClaim', () => {
  it('without an actor token, should name the exchanging client', () => {
    expect(actorClaim('api-gateway', subjectClaims())).toEqual({ client_id: 'api-gateway' });
  });

  it('with a user actor token, should name its sub', () => {
    expect(actorClaim('api-gateway', subjectClaims(), subjectClaims({ sub: 'admin' }))).toEqual({ sub: 'admin' });
  });

  it('with a machine actor token, should name its client', () => {
    expect(actorClaim('api-gateway', subjectClaims(), subjectClaims({ sub: undefined, client_id: 'orders-service' }))).toEqual({ client_id: 'orders-service' });
  });

  it('when the subject token already has an act, should nest it (RFC 8693 §4.1 delegation chain)', () => {
    const prior = subjectClaims({ act: { client_id: 'first-hop', act: { sub: 'origin' } } });
    expect(actorClaim('api-gateway', prior)).toEqual({ client_id: 'api-gateway', act: { client_id: 'first-hop', act: { sub: 'origin' } } });
  });
});

describe('withLifetimeCappedBy', () => {
  it('when the subject token outlives the client lifetime, should keep the client as it is', () => {
    const client = gateway();
    expect(withLifetimeCappedBy(client, subjectClaims(), now)).toBe(client);
  });

  it('when the subject token expires sooner, should cut the lifetime to what it has left', () => {
    expect(withLifetimeCappedBy(gateway(), subjectClaims({ exp: nowSeconds + 42 }), now).accessTokenLifetime).toBe(42);
  });
});
