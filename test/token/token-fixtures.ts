import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJson } from '../support/test-app';

export type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface ClientKey {
  readonly privateKey: PrivateKey;
  readonly publicJwk: JWK;
  readonly kid: string;
}

export interface TokenFixtures {
  /** CONFIG_FILE for startTestApp */
  readonly configFile: string;
  readonly rsaClientKey: ClientKey;
  readonly ecClientKey: ClientKey;
  remove(): void;
}

async function clientKey(alg: 'RS256' | 'ES256', kid: string): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid };
}

const machine = (clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  clientId,
  clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
  allowedGrantTypes: ['client_credentials'],
  allowedScopes: ['api1', 'api2'],
  ...extra,
});

/**
 * The configuration file the token suites run against: machine clients for each authentication
 * method and token type, and API resources with and without their own signing algorithms.
 */
export async function createTokenFixtures(): Promise<TokenFixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-token-'));
  const rsaClientKey = await clientKey('RS256', 'client-rsa');
  const ecClientKey = await clientKey('ES256', 'client-ec');
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      machine('m2m', { allowedScopes: ['openid', 'api1', 'api2', 'api.es', 'api.rs', 'offline_access'] }),
      machine('urn:client:special', { clientSecrets: [{ type: 'SharedSecret', value: 'p@ss:w+rd %' }] }),
      machine('m2m.hashed', { clientSecrets: [{ type: 'SharedSecret', value: 'sha256:K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=' }] }),
      machine('m2m.reference', { accessTokenType: 'reference' }),
      machine('m2m.reference.other', { accessTokenType: 'reference' }),
      machine('m2m.reference.short', { accessTokenType: 'reference', accessTokenLifetime: 1 }),
      machine('m2m.disabled', { enabled: false }),
      machine('m2m.jwt.rsa', { clientSecrets: [{ type: 'JsonWebKey', value: rsaClientKey.publicJwk }] }),
      machine('m2m.jwt.ec', { clientSecrets: [{ type: 'JsonWebKey', value: JSON.stringify(ecClientKey.publicJwk) }] }),
      machine('m2m.es256', { allowedTokenSigningAlgorithms: ['ES256'], allowedScopes: ['api1', 'api.es', 'api.rs'] }),
      machine('m2m.ps256', { allowedTokenSigningAlgorithms: ['PS256'] }),
      machine('m2m.conflict', { allowedScopes: ['api.es', 'api.rs'] }),
      {
        clientId: 'web', clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
        allowedGrantTypes: ['authorization_code'], redirectUris: ['https://app.example/cb'], allowedScopes: ['openid', 'api1'],
      },
      {
        clientId: 'spa', requireClientSecret: false,
        allowedGrantTypes: ['authorization_code'], redirectUris: ['https://spa.example/cb'], allowedScopes: ['openid', 'api1'],
      },
    ],
    identityResources: [{ name: 'openid', userClaims: ['sub'] }],
    apiScopes: [{ name: 'api1' }, { name: 'api2' }, { name: 'api.es' }, { name: 'api.rs' }],
    apiResources: [
      { name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] },
      { name: 'urn:api2', scopes: ['api2'], apiSecrets: [{ type: 'SharedSecret', value: 'api2-secret' }] },
      { name: 'urn:es-api', scopes: ['api.es'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: ['ES256'] },
      { name: 'urn:rs-api', scopes: ['api.rs'], apiSecrets: [], allowedAccessTokenSigningAlgorithms: ['RS256'] },
    ],
    users: [],
  });
  return { configFile, rsaClientKey, ecClientKey, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Form POST helper for raw protocol requests. */
export async function postForm(
  url: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, body, text };
}

export function basicAuth(id: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}
