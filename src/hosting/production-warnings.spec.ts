import { createHash } from 'node:crypto';
import { loadAppConfig } from '../config/app-config';
import type { IdentityConfiguration } from '../stores/config-file';
import type { Client } from '../stores/models';
import { productionWarnings } from './production-warnings';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function identity(secrets: string[], users = 0): IdentityConfiguration {
  const clients = secrets.map((secret, i) => ({
    clientId: `c${i}`, clientSecrets: [{ type: 'SharedSecret', sha256: sha256(secret) }],
  }) as unknown as Client);
  return {
    clients, identityResources: [], apiScopes: [], apiResources: [], externalProviders: [],
    users: Array.from({ length: users }, (_, i) => ({ subjectId: `${i}`, username: `u${i}`, claims: [], passwordHash: 'x' })) as never,
  };
}

/** Production settings that draw no warning, changed by `env`. */
function config(env: Record<string, string>) {
  return loadAppConfig({ NODE_ENV: 'production', HOST: '127.0.0.1', ISSUER_URI: 'https://id.example.com', ...env });
}

describe('productionWarnings', () => {
  it('when nothing of the demo is left, should warn of nothing', () => {
    expect(productionWarnings(config({}), identity(['a-long-random-secret']))).toEqual([]);
  });

  it('when NODE_ENV is not production, should warn of nothing even with the demo set-up', () => {
    expect(productionWarnings(loadAppConfig({ ISSUER_URI: 'http://x' }), identity(['secret'], 2))).toEqual([]);
  });

  it('when users are configured, should name CONFIG_FILE and the "users" section', () => {
    expect(productionWarnings(config({}), identity([], 2))).toEqual([expect.stringMatching(/CONFIG_FILE.*2 demo user.*"users"/)]);
  });

  it('when a client secret is "secret", should name that client only', () => {
    const [warning, ...more] = productionWarnings(config({}), identity(['secret', 'other']));
    expect(more).toEqual([]);
    expect(warning).toMatch(/demo secret "secret" to client c0: /);
  });

  it('when ISSUER_URI is http://, should say to use https://', () => {
    expect(productionWarnings(config({ ISSUER_URI: 'http://id.example.com' }), identity([])))
      .toEqual([expect.stringMatching(/^ISSUER_URI is http:\/\/id\.example\.com: .*https:\/\//)]);
  });

  it.each([
    ['no proxy setting', {}, 1],
    ['FORWARDED_HEADERS_ENABLED', { FORWARDED_HEADERS_ENABLED: 'true' }, 0],
    ['KNOWN_PROXIES', { KNOWN_PROXIES: '10.0.0.5' }, 0],
    ['KNOWN_NETWORKS', { KNOWN_NETWORKS: '10.0.0.0/8' }, 0],
  ])('HOST=0.0.0.0 with %s, should warn %i time(s)', (_name, env, count) => {
    const warnings = productionWarnings(config({ HOST: '0.0.0.0', ...env }), identity([]));
    expect(warnings).toHaveLength(count);
    if (count > 0) expect(warnings[0]).toMatch(/HOST=0\.0\.0\.0 .*HOST=127\.0\.0\.1.*KNOWN_PROXIES/);
  });
});
