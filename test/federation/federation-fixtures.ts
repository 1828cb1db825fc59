import { generateKeyPairSync } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, importPKCS8, SignJWT, type JWTPayload } from 'jose';
import { writeJson } from '../support/test-app';
import { REDIRECT_URI, webClient } from '../interactive/interactive-fixtures';

/** The upstream's static RS256 signing key (SIGNING_CREDENTIALS), so the tampering proxy can sign as the upstream does. */
export interface UpstreamKey {
  readonly pemPath: string;
  readonly privateKeyPem: string;
}

export function writeUpstreamKey(dir: string): UpstreamKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pemPath = join(dir, 'upstream-signing.pem');
  writeFileSync(pemPath, privateKeyPem, { mode: 0o600 });
  return { pemPath, privateKeyPem };
}

/**
 * The upstream server's configuration: the interactive suites' users and one client for the
 * downstream servers; `clientSettings` overrides that client's settings (requireConsent, ...).
 */
export function writeUpstreamConfig(
  dir: string, downstreamRedirectUris: readonly string[], postLogoutRedirectUris: readonly string[] = [], clientSettings: Record<string, unknown> = {},
): string {
  return writeJson(dir, 'upstream.json', {
    clients: [{
      clientId: 'downstream',
      clientName: 'Downstream identity server',
      clientSecrets: [{ type: 'SharedSecret', value: 'downstream-secret' }],
      allowedGrantTypes: ['authorization_code'],
      allowedScopes: ['openid', 'profile', 'email'],
      redirectUris: downstreamRedirectUris,
      postLogoutRedirectUris,
      ...clientSettings,
    }],
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', userClaims: ['name', 'given_name'] },
      { name: 'email', userClaims: ['email', 'email_verified'] },
    ],
    users: [
      { subjectId: 'up-1', username: 'alice', password: 'alice', claims: { name: 'Alice Upstream', email: 'alice@corp.example', email_verified: true } },
      { subjectId: 'up-2', username: 'bob', password: 'bob', claims: { name: 'Bob Upstream', email: 'bob@corp.example' } },
    ],
  });
}

export function provider(scheme: string, authority: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scheme,
    displayName: `Corporate SSO (${scheme})`,
    authority,
    clientId: 'downstream',
    clientSecret: 'downstream-secret',
    scopes: ['openid', 'profile', 'email'],
    claimMappings: { email: 'email', name: 'name' },
    autoProvision: true,
    ...extra,
  };
}

/**
 * The downstream servers' configuration: one relying party (`web`, id token with user claims;
 * `webSettings` overrides its settings, redirectUris for one) and the providers.
 */
export function writeDownstreamConfig(
  dir: string, name: string, providers: ReadonlyArray<Record<string, unknown>>, webSettings: Record<string, unknown> = {},
): string {
  return writeJson(dir, name, {
    clients: [webClient('web', { alwaysIncludeUserClaimsInIdToken: true, ...webSettings })],
    identityResources: [
      { name: 'openid', userClaims: ['sub'] },
      { name: 'profile', userClaims: ['name'] },
      { name: 'email', userClaims: ['email'] },
    ],
    apiScopes: [{ name: 'api1', userClaims: [] }],
    externalProviders: providers,
  });
}

export { REDIRECT_URI };

export function scratchDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'idsrv-federation-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** How the proxy changes the upstream's id token on its way to the downstream server. */
export type IdTokenTampering =
  | { readonly kind: 'none' }
  /** re-signed with the upstream's own key after `change` edits the claims (wrong nonce, wrong aud) */
  | { readonly kind: 'claims'; readonly change: (claims: JWTPayload) => JWTPayload }
  /** the same claims and kid, signed by another key */
  | { readonly kind: 'other-key' };

/**
 * A reverse proxy in front of the upstream server: the upstream sees the proxy's Host, so its
 * issuer and every endpoint in its discovery document are the proxy's, and the downstream server
 * talks to the upstream through it. The token endpoint's id token is changed as `tampering` says.
 */
export class TamperingProxy {
  tampering: IdTokenTampering = { kind: 'none' };
  private server?: Server;
  private readonly otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  constructor(private readonly upstreamPort: number, private readonly upstreamKey: UpstreamKey) {}

  async listen(port: number): Promise<void> {
    this.server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const forward = httpRequest({
          host: '127.0.0.1', port: this.upstreamPort, method: incoming.method, path: incoming.url, headers: incoming.headers,
        }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            void this.rewrite(incoming.url ?? '', Buffer.concat(body)).then((text) => {
              const headers = { ...answer.headers, 'content-length': String(text.length) };
              delete headers['transfer-encoding'];
              outgoing.writeHead(answer.statusCode ?? 502, headers);
              outgoing.end(text);
            });
          });
        });
        forward.on('error', () => { outgoing.writeHead(502); outgoing.end(); });
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async rewrite(path: string, body: Buffer): Promise<Buffer> {
    if (this.tampering.kind === 'none' || !path.startsWith('/connect/token')) return body;
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (typeof json.id_token !== 'string') return body;
    const header = decodeProtectedHeader(json.id_token);
    let claims = decodeJwt(json.id_token);
    let keyPem = this.upstreamKey.privateKeyPem;
    if (this.tampering.kind === 'claims') claims = this.tampering.change(claims);
    else keyPem = this.otherKey;
    const key = await importPKCS8(keyPem, 'RS256');
    json.id_token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid, ...(header.typ && { typ: header.typ }) }).sign(key);
    return Buffer.from(JSON.stringify(json));
  }
}
