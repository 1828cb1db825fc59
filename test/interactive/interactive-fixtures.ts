import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJson } from '../support/test-app';

export const REDIRECT_URI = 'http://127.0.0.1:5002/signin-oidc';

/** A code-flow client for the interactive suites; `extra` overrides its settings. */
export function webClient(clientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clientId,
    clientName: `Web ${clientId}`,
    clientSecrets: [{ type: 'SharedSecret', value: 'secret' }],
    allowedGrantTypes: ['authorization_code', 'refresh_token'],
    allowedScopes: ['openid', 'profile', 'email', 'api1'],
    redirectUris: [REDIRECT_URI],
    allowOfflineAccess: true,
    ...extra,
  };
}

export interface InteractiveFixtures {
  readonly configFile: string;
  remove(): void;
}

/** Writes the configuration file of the interactive suites: clients, resources, users. */
export function createInteractiveFixtures(extraClients: ReadonlyArray<Record<string, unknown>> = []): InteractiveFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-interactive-'));
  const configFile = writeJson(dir, 'identity.json', {
    clients: [
      webClient('web'),
      webClient('web.consent', { requireConsent: true }),
      webClient('web.par', { requirePushedAuthorization: true }),
      webClient('web.claims', { alwaysIncludeUserClaimsInIdToken: true }),
      webClient('web.reference', { accessTokenType: 'reference' }),
      webClient('web.es256', { allowedTokenSigningAlgorithms: ['ES256'] }),
      {
        clientId: 'spa', requireClientSecret: false, allowedGrantTypes: ['authorization_code'],
        allowedScopes: ['openid', 'profile'], redirectUris: [REDIRECT_URI],
      },
      ...extraClients,
    ],
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', displayName: 'Your profile', userClaims: ['name', 'given_name', 'family_name'] },
      { name: 'email', displayName: 'Your email address', userClaims: ['email', 'email_verified'] },
    ],
    apiScopes: [{ name: 'api1', displayName: 'API 1', userClaims: [] }],
    apiResources: [{ name: 'urn:api1', scopes: ['api1'], apiSecrets: [{ type: 'SharedSecret', value: 'api1-secret' }] }],
    users: [
      { subjectId: '1', username: 'alice', password: 'alice', claims: { name: 'Alice Smith', given_name: 'Alice', email: 'alice@example.com', email_verified: true } },
      { subjectId: '2', username: 'bob', password: 'bob', claims: { name: 'Bob Smith' } },
    ],
  });
  return { configFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
