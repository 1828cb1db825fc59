import { createHash } from 'node:crypto';
import type { AppConfig } from '../config/app-config';
import type { IdentityConfiguration } from '../stores/config-file';
import type { ClientSecret } from '../stores/models';

/** The secret of the demo clients in config/identity.json. */
const DEMO_SECRET_SHA256 = createHash('sha256').update('secret', 'utf8').digest();

/** What loadAppConfig gives KNOWN_PROXIES and KNOWN_NETWORKS when they are not set. */
const DEFAULT_KNOWN_PROXIES = ['127.0.0.1', '::1'];
const DEFAULT_KNOWN_NETWORKS = ['127.0.0.0/8'];

function isDemoSecret(secret: ClientSecret): boolean {
  return secret.type === 'SharedSecret' && secret.sha256.equals(DEMO_SECRET_SHA256);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * With NODE_ENV=production, what the demo set-up leaves that must not reach production: one
 * sentence each, naming what to change. Empty in any other environment (the demo is the point there).
 */
export function productionWarnings(config: AppConfig, identity: IdentityConfiguration): string[] {
  if (config.nodeEnv !== 'production') return [];
  const warnings: string[] = [];
  if (identity.users.length > 0) {
    warnings.push(`${config.configFile} (CONFIG_FILE) loads ${identity.users.length} demo user(s) with passwords from the file `
      + '("users"): remove the "users" section and bind a UserStore of your own (docs/configuration-file.md)');
  }
  const withDemoSecret = [
    ...identity.clients.filter((c) => c.clientSecrets.some(isDemoSecret)).map((c) => `client ${c.clientId}`),
    ...identity.apiResources.filter((r) => r.apiSecrets.some(isDemoSecret)).map((r) => `API resource ${r.name}`),
  ];
  if (withDemoSecret.length > 0) {
    warnings.push(`${config.configFile} (CONFIG_FILE) gives the demo secret "secret" to ${withDemoSecret.join(', ')}: `
      + 'replace it with a long random secret, or its "sha256:…" digest (docs/configuration-file.md)');
  }
  if (config.issuerUri?.startsWith('http://')) {
    warnings.push(`ISSUER_URI is ${config.issuerUri}: tokens, codes and cookies would travel unencrypted and browsers drop `
      + 'secure cookies; use an https:// issuer (docs/settings.md#listening-and-identity)');
  }
  const { forwardedHeaders } = config;
  if ((config.host === '0.0.0.0' || config.host === '::') && !forwardedHeaders.enabled
    && sameList(forwardedHeaders.knownProxies, DEFAULT_KNOWN_PROXIES) && sameList(forwardedHeaders.knownNetworks, DEFAULT_KNOWN_NETWORKS)) {
    warnings.push(`HOST=${config.host} listens on every interface and no proxy is configured: clients reach the server directly over `
      + 'plain HTTP. Set HOST=127.0.0.1 behind a local reverse proxy, or set KNOWN_PROXIES / KNOWN_NETWORKS '
      + '(or FORWARDED_HEADERS_ENABLED) for your proxy (docs/deployment.md#reverse-proxies-and-forwarded-headers)');
  }
  return warnings;
}
