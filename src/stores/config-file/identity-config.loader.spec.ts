import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { verifyPassword } from './password-hash';
import type { JsonWebKeySecret, SharedSecret } from '../models';
import { ConfigError } from '../../config/config-error';
import { formatPath, loadIdentityConfig, parseIdentityConfig } from './identity-config.loader';

type Json = Record<string, unknown>;

// Test-data factories: each call returns a fresh object, so tests never share mutable fixtures.
function aClient(overrides: Json = {}): Json {
  return {
    clientId: 'client',
    clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
    allowedGrantTypes: ['client_credentials'],
    allowedScopes: ['api1'],
    ...overrides,
  };
}

function aConfig(overrides: Json = {}): Json {
  return {
    clients: [aClient()],
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', userClaims: ['name'] },
    ],
    apiScopes: [{ name: 'api1' }, { name: 'api2' }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
    ...overrides,
  };
}

function rsaPublicJwk(): Json {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as Json;
}

function rsaPrivateJwk(): Json {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Json;
}

function ecPublicJwk(): Json {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Json;
}

function load(file: unknown) {
  return parseIdentityConfig(JSON.stringify(file), 'identity.json');
}

async function problemsOf(file: unknown, text = JSON.stringify(file)): Promise<string[]> {
  const error: unknown = await parseIdentityConfig(text, 'identity.json').then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error instanceof ConfigError ? error.problems : [];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('loadIdentityConfig', () => {
  describe('defaults', () => {
    it('parse, when a client sets only its id, secret, grant and scope, should apply Duende defaults', async () => {
      const config = await load(aConfig());
      const client = config.clients[0];
      expect(client).toMatchObject({
        clientId: 'client',
        enabled: true,
        requireClientSecret: true,
        requirePkce: true,
        requireConsent: false,
        allowOfflineAccess: false,
        requirePushedAuthorization: false,
        alwaysIncludeUserClaimsInIdToken: false,
        accessTokenType: 'jwt',
        accessTokenLifetime: 3600,
        identityTokenLifetime: 300,
        authorizationCodeLifetime: 300,
        deviceCodeLifetime: 300,
        refreshTokenUsage: 'oneTime',
        refreshTokenReuseInterval: 0,
        refreshTokenExpiration: 'absolute',
        absoluteRefreshTokenLifetime: 2_592_000,
        slidingRefreshTokenLifetime: 1_296_000,
        redirectUris: [],
        postLogoutRedirectUris: [],
        allowedTokenSigningAlgorithms: [],
      });
      expect(client.backChannelLogoutUri).toBeUndefined();
      expect(config.apiScopes[0]).toEqual({ name: 'api1', userClaims: [] });
      expect(config.apiResources[0].allowedAccessTokenSigningAlgorithms).toEqual([]);
      expect(config.users).toEqual([]);
    });

    it('parse, when a section is absent, should give an empty list', async () => {
      const config = await load({});
      expect(config).toEqual({ clients: [], identityResources: [], apiScopes: [], apiResources: [], users: [], externalProviders: [] });
    });

    it('parse, when values are set explicitly, should keep them', async () => {
      const config = await load(aConfig({
        clients: [aClient({
          accessTokenType: 'reference', accessTokenLifetime: 60, refreshTokenUsage: 'reuse',
          refreshTokenExpiration: 'sliding', absoluteRefreshTokenLifetime: 0, enabled: false,
          allowedTokenSigningAlgorithms: ['ES256', 'PS256'],
        })],
      }));
      expect(config.clients[0]).toMatchObject({
        accessTokenType: 'reference', accessTokenLifetime: 60, refreshTokenUsage: 'reuse',
        refreshTokenExpiration: 'sliding', absoluteRefreshTokenLifetime: 0, enabled: false,
        allowedTokenSigningAlgorithms: ['ES256', 'PS256'],
      });
    });
  });

  describe('JSON paths in errors', () => {
    it('parse, when the third client has a relative redirect URI, should name clients[2].redirectUris[0]', async () => {
      const clients = [
        aClient({ clientId: 'a' }),
        aClient({ clientId: 'b' }),
        aClient({ clientId: 'c', allowedGrantTypes: ['authorization_code'], redirectUris: ['/signin-oidc'] }),
      ];
      expect(await problemsOf(aConfig({ clients }))).toEqual(['clients[2].redirectUris[0]: must be an absolute URI']);
    });

    it('parse, when a redirect URI has a fragment, should reject it (RFC 6749 §3.1.2)', async () => {
      const client = aClient({ allowedGrantTypes: ['authorization_code'], redirectUris: ['https://app.example/cb#x'] });
      expect(await problemsOf(aConfig({ clients: [client] })))
        .toEqual(['clients[0].redirectUris[0]: must not contain a fragment (#…)']);
    });

    it('parse, when post-logout and back-channel URIs are not absolute, should name each', async () => {
      const client = aClient({ postLogoutRedirectUris: ['https://ok.example/', 'not a uri'], backChannelLogoutUri: 'logout' });
      expect(await problemsOf(aConfig({ clients: [client] }))).toEqual([
        'clients[0].postLogoutRedirectUris[1]: must be an absolute URI',
        'clients[0].backChannelLogoutUri: must be an absolute URI',
      ]);
    });

    it('parse, when a logoUri is not an http(s) URL, should name it; an https logo is kept', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ logoUri: 'javascript:alert(1)' })] })))
        .toEqual(['clients[0].logoUri: must be an https:// or http:// URL']);
      expect(await problemsOf(aConfig({ clients: [aClient({ logoUri: '/local.png' })] })))
        .toEqual(['clients[0].logoUri: must be an https:// or http:// URL']);
      const config = await parseIdentityConfig(JSON.stringify(aConfig({ clients: [aClient({ logoUri: 'https://app.example/logo.svg' })] })), 'identity.json');
      expect(config.clients[0].logoUri).toBe('https://app.example/logo.svg');
    });

    it('parse, when several things are wrong, should report all of them at once', async () => {
      const client = aClient({ accessTokenLifetime: -5, accessTokenType: 'opaque', allowedGrantTypes: ['implicit'] });
      const problems = await problemsOf(aConfig({ clients: [client], users: [{ subjectId: '1', username: 'x' }] }));
      expect(problems).toEqual(expect.arrayContaining([
        'clients[0].accessTokenLifetime: must be a positive number of seconds',
        'clients[0].accessTokenType: must be one of jwt, reference, got "opaque"',
        expect.stringMatching(/^clients\[0\]\.allowedGrantTypes\[0\]: must be one of client_credentials, authorization_code, refresh_token, urn:ietf:params:oauth:grant-type:device_code, got "implicit"$/),
        'users[0].password: is required',
      ]));
      expect(problems).toHaveLength(4);
    });

    it('parse, when refreshTokenReuseInterval is negative or fractional, should name it', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ refreshTokenReuseInterval: -1 })] })))
        .toEqual(['clients[0].refreshTokenReuseInterval: must not be negative']);
      expect(await problemsOf(aConfig({ clients: [aClient({ refreshTokenReuseInterval: 1.5 })] })))
        .toEqual(['clients[0].refreshTokenReuseInterval: interval must be a whole number of seconds']);
      expect((await load(aConfig({ clients: [aClient({ refreshTokenReuseInterval: 10 })] }))).clients[0].refreshTokenReuseInterval).toBe(10);
    });

    it('parse, when a field has the wrong type, should say what was expected', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ requirePkce: 'yes' })] })))
        .toEqual(['clients[0].requirePkce: expected boolean, got string']);
    });

    it('the ConfigError message, should name the file and each path', async () => {
      const error: unknown = await load(aConfig({ clients: [aClient({ clientId: '' })] })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(String((error as Error).message)).toContain('Invalid configuration in identity.json');
      expect(String((error as Error).message)).toContain('clients[0].clientId: must not be empty');
    });

    it('formatPath, should quote keys that are not identifiers', () => {
      expect(formatPath(['users', 0, 'claims', 'https://example.com/role'])).toBe('users[0].claims["https://example.com/role"]');
      expect(formatPath([])).toBe('(root)');
    });
  });

  describe('unknown fields', () => {
    it('parse, when a client field is misspelt, should reject it instead of using the default', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ requirePcke: false })] })))
        .toEqual(['clients[0].requirePcke: unknown field (check the spelling; see docs/configuration-file.md)']);
    });

    it('parse, when a top-level section is misspelt, should reject it', async () => {
      expect(await problemsOf({ ...aConfig(), apiScope: [] }))
        .toEqual(['apiScope: unknown field (check the spelling; see docs/configuration-file.md)']);
    });

    it('parse, when a secret or resource has an unknown field, should name its path', async () => {
      const problems = await problemsOf(aConfig({
        clients: [aClient({ clientSecrets: [{ type: 'SharedSecret', value: 's', hash: 'x' }] })],
        identityResources: [{ name: 'openid', claims: ['sub'] }],
      }));
      expect(problems).toEqual([
        'clients[0].clientSecrets[0].hash: unknown field (check the spelling; see docs/configuration-file.md)',
        'identityResources[0].claims: unknown field (check the spelling; see docs/configuration-file.md)',
      ]);
    });
  });

  describe('duplicates and references', () => {
    it('parse, when two clients share a clientId, should name the second', async () => {
      const clients = [aClient({ clientId: 'a' }), aClient({ clientId: 'b' }), aClient({ clientId: 'a' })];
      expect(await problemsOf(aConfig({ clients })))
        .toEqual(['clients[2].clientId: duplicate clientId "a" (already used by clients[0])']);
    });

    it('parse, when resource names repeat, should report each collection', async () => {
      const problems = await problemsOf(aConfig({
        identityResources: [{ name: 'openid' }, { name: 'openid' }],
        apiScopes: [{ name: 'api1' }, { name: 'api1' }],
        apiResources: [{ name: 'urn:x', scopes: ['api1'] }, { name: 'urn:x' }],
      }));
      expect(problems).toEqual([
        'identityResources[1].name: duplicate name "openid" (already used by identityResources[0])',
        'apiScopes[1].name: duplicate name "api1" (already used by apiScopes[0])',
        'apiResources[1].name: duplicate name "urn:x" (already used by apiResources[0])',
      ]);
    });

    it('parse, when an API scope has an identity resource\'s name, should reject it', async () => {
      expect(await problemsOf(aConfig({ apiScopes: [{ name: 'api1' }, { name: 'profile' }] })))
        .toEqual(['apiScopes[1].name: "profile" is already an identity resource']);
    });

    it('parse, when usernames or subject ids repeat, should reject them', async () => {
      const users = [
        { subjectId: '1', username: 'alice', password: 'p' },
        { subjectId: '1', username: 'alice', password: 'p' },
      ];
      expect(await problemsOf(aConfig({ users }))).toEqual([
        'users[1].username: duplicate username "alice" (already used by users[0])',
        'users[1].subjectId: duplicate subjectId "1" (already used by users[0])',
      ]);
    });

    it('parse, when a client allows an undefined scope, should name it', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ allowedScopes: ['api1', 'api3'] })] })))
        .toEqual(['clients[0].allowedScopes[1]: scope "api3" is not defined in identityResources or apiScopes']);
    });

    it('parse, when a client allows offline_access without defining it, should accept it', async () => {
      const config = await load(aConfig({ clients: [aClient({ allowedScopes: ['openid', 'api1', 'offline_access'] })] }));
      expect(config.clients[0].allowedScopes).toEqual(['openid', 'api1', 'offline_access']);
    });

    it('parse, when offline_access is defined as a resource, should reject it', async () => {
      expect(await problemsOf(aConfig({ apiScopes: [{ name: 'api1' }, { name: 'offline_access' }] })))
        .toEqual(['apiScopes[1].name: offline_access is built in and must not be defined; use allowOfflineAccess on the client']);
    });

    it('parse, when an API resource names an undefined scope, should name it', async () => {
      expect(await problemsOf(aConfig({ apiResources: [{ name: 'urn:api1', scopes: ['api9'] }] })))
        .toEqual(['apiResources[0].scopes[0]: scope "api9" is not defined in apiScopes']);
    });

    it('parse, when a grant type is listed twice, should reject the repeat', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ allowedGrantTypes: ['client_credentials', 'client_credentials'] })] })))
        .toEqual(['clients[0].allowedGrantTypes[1]: "client_credentials" is listed twice']);
    });
  });

  describe('algorithms and client rules', () => {
    it('parse, when an algorithm is not one of SIGNING_ALGORITHMS, should reject it', async () => {
      const problems = await problemsOf(aConfig({
        clients: [aClient({ allowedTokenSigningAlgorithms: ['RS256', 'HS256'] })],
        apiResources: [{ name: 'urn:api1', scopes: ['api1'], allowedAccessTokenSigningAlgorithms: ['none'] }],
      }));
      expect(problems).toEqual([
        expect.stringMatching(/^clients\[0\]\.allowedTokenSigningAlgorithms\[1\]: must be one of RS256, .*ES512, got "HS256"$/),
        expect.stringMatching(/^apiResources\[0\]\.allowedAccessTokenSigningAlgorithms\[0\]: must be one of RS256, .*, got "none"$/),
      ]);
    });

    it('parse, when a confidential client has no secret, should say how to make it public', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ clientSecrets: [] })] }))).toEqual([
        'clients[0].clientSecrets: a confidential client (requireClientSecret true) needs at least one secret; set requireClientSecret false for a public client',
      ]);
    });

    it('parse, when a public client has client_credentials, should reject it (RFC 6749 §4.4)', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ clientSecrets: [], requireClientSecret: false })] }))).toEqual([
        'clients[0].requireClientSecret: client_credentials needs an authenticated client; requireClientSecret must be true',
      ]);
    });

    it('parse, when an authorization_code client has no redirect URI, should reject it', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ allowedGrantTypes: ['authorization_code'] })] })))
        .toEqual(['clients[0].redirectUris: authorization_code needs at least one redirect URI']);
    });
  });

  describe('shared secrets', () => {
    it('parse, when a secret is plaintext, should keep only its SHA-256', async () => {
      const config = await load(aConfig({
        clients: [aClient({ clientSecrets: [{ type: 'SharedSecret', value: 'plain-secret-value' }] })],
        apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ value: 'api-plain-value' }] }],
      }));
      const secret = config.clients[0].clientSecrets[0] as SharedSecret;
      expect(secret.type).toBe('SharedSecret');
      expect(secret.sha256.equals(sha256('plain-secret-value'))).toBe(true);
      expect(config.apiResources[0].apiSecrets[0].sha256.equals(sha256('api-plain-value'))).toBe(true);
      const everything = inspect(config, { depth: null });
      expect(everything).not.toContain('plain-secret-value');
      expect(everything).not.toContain('api-plain-value');
    });

    it('parse, when a secret is given as sha256:BASE64, should decode it and not hash it again', async () => {
      const digest = sha256('pre-hashed');
      const config = await load(aConfig({
        clients: [aClient({ clientSecrets: [{ type: 'SharedSecret', value: `sha256:${digest.toString('base64')}` }] })],
      }));
      expect((config.clients[0].clientSecrets[0] as SharedSecret).sha256.equals(digest)).toBe(true);
    });

    it('parse, when sha256: is not followed by a 32-byte digest, should reject it', async () => {
      const value = `sha256:${Buffer.from('short').toString('base64')}`;
      expect(await problemsOf(aConfig({ clients: [aClient({ clientSecrets: [{ type: 'SharedSecret', value }] })] })))
        .toEqual(['clients[0].clientSecrets[0].value: sha256: must be followed by the base64 of a 32-byte SHA-256 digest']);
    });

    it('parse, when a secret omits type, should treat it as a SharedSecret (Duende default)', async () => {
      const config = await load(aConfig({ clients: [aClient({ clientSecrets: [{ value: 'secret' }] })] }));
      expect(config.clients[0].clientSecrets[0].type).toBe('SharedSecret');
    });

    it('parse, when a secret has an expiration, should convert it to a Date', async () => {
      const config = await load(aConfig({
        clients: [aClient({ clientSecrets: [{ value: 'secret', expiration: '2030-01-02T03:04:05Z' }] })],
      }));
      expect(config.clients[0].clientSecrets[0].expiration).toEqual(new Date('2030-01-02T03:04:05Z'));
    });

    it('parse, when a secret type is unknown, should list the known ones', async () => {
      expect(await problemsOf(aConfig({ clients: [aClient({ clientSecrets: [{ type: 'X509Thumbprint', value: 'ab' }] })] })))
        .toEqual(['clients[0].clientSecrets[0].type: must be one of SharedSecret, JsonWebKey']);
    });
  });

  describe('JsonWebKey secrets', () => {
    const withJwk = (value: unknown) => aConfig({ clients: [aClient({ clientSecrets: [{ type: 'JsonWebKey', value }] })] });

    it('parse, when the value is an RSA public JWK object, should keep it', async () => {
      const jwk = rsaPublicJwk();
      const config = await load(withJwk(jwk));
      const secret = config.clients[0].clientSecrets[0] as JsonWebKeySecret;
      expect(secret).toEqual({ type: 'JsonWebKey', jwk });
    });

    it('parse, when the value is a string holding an EC public JWK, should parse it', async () => {
      const jwk = ecPublicJwk();
      const config = await load(withJwk(JSON.stringify(jwk)));
      expect((config.clients[0].clientSecrets[0] as JsonWebKeySecret).jwk).toEqual(jwk);
    });

    it('parse, when the JWK holds a private key, should reject it', async () => {
      const [problem] = await problemsOf(withJwk(rsaPrivateJwk()));
      expect(problem).toMatch(/^clients\[0\]\.clientSecrets\[0\]\.value: must be a public key: remove the private member\(s\) d, p, q, dp, dq, qi/);
    });

    it('parse, when the JWK is symmetric, should point to SharedSecret', async () => {
      expect(await problemsOf(withJwk({ kty: 'oct', k: 'c2VjcmV0' })))
        .toEqual(['clients[0].clientSecrets[0].value: symmetric keys (kty "oct") are not allowed; use a SharedSecret']);
    });

    it('parse, when kty is not RSA or EC, should reject it', async () => {
      expect(await problemsOf(withJwk({ kty: 'OKP', crv: 'Ed25519', x: 'abc' })))
        .toEqual(['clients[0].clientSecrets[0].value: kty must be RSA or EC, got "OKP"']);
    });

    it('parse, when the string is not JSON or the value not an object, should reject it', async () => {
      expect(await problemsOf(withJwk('{not json'))).toEqual(['clients[0].clientSecrets[0].value: must be a JWK object or a string holding JWK JSON']);
      expect(await problemsOf(withJwk(42))).toEqual(['clients[0].clientSecrets[0].value: must be a JWK object or a string holding JWK JSON']);
    });

    it('parse, when the key material is broken, should reject it', async () => {
      const [problem] = await problemsOf(withJwk({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }));
      expect(problem).toMatch(/^clients\[0\]\.clientSecrets\[0\]\.value: is not a valid EC public key/);
    });

    it('parse, when the JWK names an unsupported alg, should reject it', async () => {
      expect(await problemsOf(withJwk({ ...rsaPublicJwk(), alg: 'HS256' })))
        .toEqual([expect.stringMatching(/^clients\[0\]\.clientSecrets\[0\]\.value: alg must be one of RS256/)]);
    });
  });

  describe('externalProviders', () => {
    const corp = { scheme: 'corp', authority: 'https://sso.corp.example', clientId: 'identity', clientSecret: 's3cret' };

    it('parse, with the minimum, should fill in the defaults and keep the secret for sending', async () => {
      const config = await load(aConfig({ externalProviders: [corp] }));
      expect(config.externalProviders).toEqual([{
        scheme: 'corp', displayName: 'corp', enabled: true, authority: 'https://sso.corp.example', clientId: 'identity',
        clientSecret: { plaintext: 's3cret' }, scopes: ['openid', 'profile'], claimMappings: {}, autoProvision: false,
      }]);
    });

    it('parse, with an http authority on loopback, should accept it; elsewhere, should require https', async () => {
      await expect(load(aConfig({ externalProviders: [{ ...corp, authority: 'http://127.0.0.1:5001' }] }))).resolves.toBeDefined();
      expect(await problemsOf(aConfig({ externalProviders: [{ ...corp, authority: 'http://sso.corp.example' }] })))
        .toEqual(['externalProviders[0].authority: must use https (http only for localhost / 127.0.0.1 / [::1])']);
    });

    it('parse, with a bad scheme, no openid scope, a mapped sub, a duplicate or an unknown field, should name each', async () => {
      const problems = await problemsOf(aConfig({
        externalProviders: [
          { ...corp, scheme: 'has space', scopes: ['profile'], claimMappings: { sub: 'email' }, autoProvison: true },
          corp, corp,
        ],
      }));
      expect(problems).toEqual(expect.arrayContaining([
        expect.stringMatching(/^externalProviders\[0\]\.scheme: must be 1-64 letters/),
        'externalProviders[0].scopes: must include "openid" (the provider signs the user in with an id token)',
        'externalProviders[0].claimMappings.sub: "sub" is set by the server and cannot be mapped',
        'externalProviders[0].autoProvison: unknown field (check the spelling; see docs/configuration-file.md)',
        'externalProviders[2].scheme: duplicate scheme "corp" (already used by externalProviders[1])',
      ]));
    });
  });

  describe('users', () => {
    it('parse, should keep the password only as a scrypt hash that verifies', async () => {
      const config = await load(aConfig({
        users: [{ subjectId: '1', username: 'alice', password: 'correct horse', claims: { name: 'Alice', email_verified: true, roles: ['a'] } }],
      }));
      const [user] = config.users;
      expect(user).toMatchObject({ subjectId: '1', username: 'alice', claims: { name: 'Alice', email_verified: true, roles: ['a'] } });
      expect(user.passwordHash.algorithm).toBe('scrypt');
      expect(await verifyPassword('correct horse', user.passwordHash)).toBe(true);
      expect(await verifyPassword('wrong', user.passwordHash)).toBe(false);
      expect(inspect(config, { depth: null })).not.toContain('correct horse');
    });

    it('parse, when two users share a password, should salt each hash differently', async () => {
      const config = await load(aConfig({
        users: [{ subjectId: '1', username: 'a', password: 'same' }, { subjectId: '2', username: 'b', password: 'same' }],
      }));
      expect(config.users[0].passwordHash.hash.equals(config.users[1].passwordHash.hash)).toBe(false);
    });

    it('parse, when claims hold sub or an object, should reject them', async () => {
      const problems = await problemsOf(aConfig({
        users: [{ subjectId: '1', username: 'a', password: 'p', claims: { sub: '9', address: { city: 'x' } } }],
      }));
      expect(problems).toEqual(expect.arrayContaining([
        'users[0].claims.address: must be a string, number, boolean or list of strings',
      ]));
    });

    it('parse, when claims set sub, should point to subjectId', async () => {
      expect(await problemsOf(aConfig({ users: [{ subjectId: '1', username: 'a', password: 'p', claims: { sub: '9' } }] })))
        .toEqual(['users[0].claims.sub: set the subject with subjectId, not as a claim']);
    });
  });

  describe('result', () => {
    it('parse, should return a frozen configuration', async () => {
      const config = await load(aConfig());
      expect(Object.isFrozen(config)).toBe(true);
      expect(Object.isFrozen(config.clients[0])).toBe(true);
      expect(() => (config.clients as unknown[]).push({})).toThrow(TypeError);
      expect(() => { (config.clients[0] as { requirePkce: boolean }).requirePkce = false; }).toThrow(TypeError);
    });
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'identity-config-')); });
    afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

    it('load, when the JSON is malformed, should name the file, line and column', async () => {
      const path = join(dir, 'broken.json');
      await writeFile(path, '{\n  "clients": [\n    { "clientId": "a", }\n  ]\n}\n');
      const error: unknown = await loadIdentityConfig(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(`in ${path}`);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^invalid JSON at line 3, column 24: /)]);
    });

    it('load, when the JSON is malformed next to a secret, should not quote the text in the problem', async () => {
      for (const text of ['{"x":["hunter2",}', '{"value":"hunter2","x":[}']) {
        const problems = await problemsOf(undefined, text);
        expect(problems).toEqual([expect.stringMatching(/^invalid JSON at line 1, column \d+: Unexpected token '\}'$/)]);
        expect(problems.join()).not.toContain('er2');
      }
    });

    it.each([
      ['{\n  "clients": [\n    }\n', 3, 5],
      ['{\n  "clients": [],\n  "users": NaN\n}', 3, 12],
      ['{"clients": []} trailing', 1, 17],
      ['', 1, 1],
    ])('load, when the JSON is %p, should point at line %p, column %p', async (text, line, column) => {
      const problems = await problemsOf(undefined, text);
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^invalid JSON at line ${line}, column ${column}: `))]);
    });

    it('load, when the file does not exist, should name CONFIG_FILE and the path', async () => {
      const path = join(dir, 'missing.json');
      const error: unknown = await loadIdentityConfig(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toContain(`CONFIG_FILE: cannot read "${path}"`);
    });

    it('load, when the file is valid, should read it', async () => {
      const path = join(dir, 'ok.json');
      await writeFile(path, JSON.stringify(aConfig()));
      expect((await loadIdentityConfig(path)).clients.map((c) => c.clientId)).toEqual(['client']);
    });
  });

  describe('config/identity.json (the demo configuration npm start uses)', () => {
    it('load, should succeed with the demo clients, resources and users', async () => {
      const config = await loadIdentityConfig(join(__dirname, '../../../config/identity.json'));
      expect(config.clients.map((c) => c.clientId)).toEqual(['m2m', 'm2m.reference', 'm2m.jwt', 'web', 'web.consent', 'spa', 'device']);
      expect(config.identityResources.map((r) => r.name)).toEqual(['openid', 'profile', 'email']);
      expect(config.apiScopes.map((s) => s.name)).toEqual(['api1', 'api2']);
      expect(config.apiResources.map((r) => [r.name, r.scopes])).toEqual([['urn:api1', ['api1']], ['urn:api2', ['api2']]]);
      expect(config.apiResources[0].apiSecrets[0].sha256.equals(sha256('api1-secret'))).toBe(true);

      const byId = new Map(config.clients.map((c) => [c.clientId, c]));
      expect((byId.get('m2m')?.clientSecrets[0] as SharedSecret).sha256.equals(sha256('secret'))).toBe(true);
      expect(byId.get('m2m.reference')?.accessTokenType).toBe('reference');
      const jwk = (byId.get('m2m.jwt')?.clientSecrets[0] as JsonWebKeySecret).jwk;
      expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256' });
      expect(jwk).not.toHaveProperty('d');
      expect(byId.get('web')).toMatchObject({
        allowedGrantTypes: ['authorization_code', 'refresh_token'], allowOfflineAccess: true, requireConsent: false,
        redirectUris: ['http://localhost:5002/signin-oidc', 'http://127.0.0.1:5002/signin-oidc'],
        backChannelLogoutUri: 'http://localhost:5002/bc-logout',
      });
      expect(byId.get('web.consent')?.requireConsent).toBe(true);
      expect(byId.get('spa')).toMatchObject({ requireClientSecret: false, clientSecrets: [], requirePkce: true });
      expect(byId.get('device')).toMatchObject({
        requireClientSecret: false,
        allowedGrantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        allowOfflineAccess: true,
      });
      expect(config.users.map((u) => [u.subjectId, u.username])).toEqual([['1', 'alice'], ['2', 'bob']]);
      expect(await verifyPassword('alice', config.users[0].passwordHash)).toBe(true);
      expect(config.users[0].claims).toMatchObject({ name: 'Alice Smith', email: 'alice@example.com', email_verified: true });
    });
  });
});
