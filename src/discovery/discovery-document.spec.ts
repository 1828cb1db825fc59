import type { Resources } from '../stores/models';
import { buildDiscoveryDocument, discoveryInputVersion } from './discovery-document';

function resources(overrides: Partial<Resources> = {}): Resources {
  return {
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', userClaims: ['name', 'given_name', 'family_name'] },
      { name: 'email', userClaims: ['email', 'email_verified'] },
    ],
    apiScopes: [{ name: 'api1', userClaims: ['role'] }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: [] }],
    ...overrides,
  };
}

describe('buildDiscoveryDocument', () => {
  const grantTypes = ['authorization_code', 'urn:example:grant-type:magic-link'];
  const document = buildDiscoveryDocument({
    issuer: 'https://id.example', resources: resources(), signingAlgorithms: ['PS256', 'ES256'], grantTypes,
  });

  it('should place every endpoint under the issuer', () => {
    expect(document).toMatchObject({
      issuer: 'https://id.example',
      jwks_uri: 'https://id.example/.well-known/openid-configuration/jwks',
      authorization_endpoint: 'https://id.example/connect/authorize',
      pushed_authorization_request_endpoint: 'https://id.example/connect/par',
      token_endpoint: 'https://id.example/connect/token',
      userinfo_endpoint: 'https://id.example/connect/userinfo',
      introspection_endpoint: 'https://id.example/connect/introspect',
      revocation_endpoint: 'https://id.example/connect/revocation',
      end_session_endpoint: 'https://id.example/connect/endsession',
      device_authorization_endpoint: 'https://id.example/connect/deviceauthorization',
    });
  });

  it('should list identity and API scopes plus offline_access, once each', () => {
    expect(document.scopes_supported).toEqual(['openid', 'profile', 'email', 'api1', 'offline_access']);
  });

  it('should list the claims of identity resources and API scopes without duplicates', () => {
    expect(document.claims_supported).toEqual(['sub', 'name', 'given_name', 'family_name', 'email', 'email_verified', 'role']);
  });

  it('should advertise the signing algorithms in the order given, default first', () => {
    expect(document.id_token_signing_alg_values_supported).toEqual(['PS256', 'ES256']);
  });

  it('should advertise exactly the grant types of the registry it is given, in its order', () => {
    expect(document.grant_types_supported).toEqual(['authorization_code', 'urn:example:grant-type:magic-link']);
  });

  it('should advertise the implemented protocol features', () => {
    expect(document).toMatchObject({
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      code_challenge_methods_supported: ['S256'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      authorization_response_iss_parameter_supported: true,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: false,
      request_uri_parameter_supported: true,
      require_pushed_authorization_requests: false,
    });
    expect(document.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'PS384', 'ES512']));
    expect(document.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });

  it('should not advertise plain PKCE or HS* client assertions', () => {
    expect(document.code_challenge_methods_supported).not.toContain('plain');
    expect(document.token_endpoint_auth_signing_alg_values_supported.some((a) => a.startsWith('HS'))).toBe(false);
  });
});

describe('discoveryInputVersion', () => {
  it('should change when a scope, a claim or an algorithm changes', () => {
    const base = discoveryInputVersion(resources(), ['RS256']);
    expect(discoveryInputVersion(resources(), ['RS256'])).toBe(base);
    expect(discoveryInputVersion(resources({ apiScopes: [] }), ['RS256'])).not.toBe(base);
    expect(discoveryInputVersion(resources({ identityResources: [{ name: 'openid', userClaims: ['sub', 'x'] }] }), ['RS256'])).not.toBe(base);
    expect(discoveryInputVersion(resources(), ['RS256', 'ES256'])).not.toBe(base);
  });
});
