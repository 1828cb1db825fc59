import 'reflect-metadata';
import { GrantHandler, GrantType, grantTypeOf, type TokenResponse } from './grant-handler';
import { BUILT_IN_GRANT_HANDLERS, supportedGrantTypesOf } from '../token-endpoint.module';

const never = (): Promise<TokenResponse> => Promise.reject(new Error('not called'));

@GrantType('urn:example:grant-type:magic')
class MagicGrantHandler extends GrantHandler {
  handle = never;
}

@GrantType('client_credentials')
class OtherClientCredentialsHandler extends GrantHandler {
  handle = never;
}

class UndeclaredHandler extends GrantHandler {
  handle = never;
}

describe('@GrantType', () => {
  it('grantType, when the class is decorated, should be the declared name', () => {
    expect(new MagicGrantHandler().grantType).toBe('urn:example:grant-type:magic');
    expect(grantTypeOf(MagicGrantHandler)).toBe('urn:example:grant-type:magic');
  });

  it('grantTypeOf, when the class declares nothing, should say how to fix it', () => {
    expect(() => grantTypeOf(UndeclaredHandler)).toThrow('UndeclaredHandler declares no grant type: decorate it with @GrantType');
  });

  it('GrantType, when the name is neither a grant-name nor an absolute URI, should refuse it (RFC 6749 §4.5, A.10)', () => {
    expect(() => GrantType('magic link')).toThrow(/a grant type is a name of letters/);
    expect(() => GrantType('')).toThrow();
    expect(() => GrantType('urn:ietf:params:oauth:grant-type:token-exchange')).not.toThrow();
  });
});

describe('supportedGrantTypesOf', () => {
  it('should list the built-in grants first, in discovery order, then the extensions', () => {
    expect(supportedGrantTypesOf([...BUILT_IN_GRANT_HANDLERS, MagicGrantHandler]).names).toEqual([
      'authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code',
      'urn:example:grant-type:magic',
    ]);
  });

  it('when two handlers declare one name, should refuse to start naming both', () => {
    expect(() => supportedGrantTypesOf([...BUILT_IN_GRANT_HANDLERS, OtherClientCredentialsHandler]))
      .toThrow('grant type "client_credentials" is handled by both ClientCredentialsGrantHandler and OtherClientCredentialsHandler');
  });
});
