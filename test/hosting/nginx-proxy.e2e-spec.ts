import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markedBlock, readDoc } from '../support/markdown';
import { startTestApp, type TestApp } from '../support/test-app';
import { findNginx, get, makeSelfSignedCertificate, startNginx, startNginxServer, type Certificate, type RunningProxy } from './nginx-proxy';

/**
 * Forwarded headers through a real nginx (docs/deployment.md): TLS terminates at the proxy, so the
 * app only learns that clients use https from X-Forwarded-Proto — and must believe it only from
 * known proxies.
 */
const nginx = findNginx();
const describeIfNginx = nginx ? describe : describe.skip;
if (!nginx) process.stdout.write('[tests] nginx is not installed (apt-get install -y nginx): reverse-proxy tests are skipped\n');

interface Discovery {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly authorization_endpoint: string;
}

describeIfNginx(`reverse proxy: nginx${nginx ? '' : ' (skipped: nginx is not installed)'}`, () => {
  const nginxPath = nginx ?? 'nginx';
  let certDir: string;
  let cert: Certificate;
  let app: TestApp | undefined;
  let proxies: RunningProxy[] = [];

  beforeAll(() => {
    certDir = mkdtempSync(join(tmpdir(), 'idsrv-cert-'));
    cert = makeSelfSignedCertificate(certDir);
  });

  afterEach(async () => {
    for (const proxy of proxies.reverse()) await proxy.stop();
    proxies = [];
    await app?.close();
    app = undefined;
  });

  afterAll(() => rmSync(certDir, { recursive: true, force: true }));

  async function startBehindTlsProxy(env: Record<string, string> = {}, headers?: Record<string, string>): Promise<RunningProxy> {
    app = await startTestApp(env);
    const proxy = await startNginx(nginxPath, { upstream: app.baseUrl, tls: cert, headers });
    proxies.push(proxy);
    return proxy;
  }

  async function discover(base: string): Promise<Discovery> {
    const response = await get(`${base}/.well-known/openid-configuration`, cert.pem);
    expect(response.status).toBe(200);
    return JSON.parse(response.body) as Discovery;
  }

  it('discovery through https://localhost:PORT, with loopback trusted by default, should show an https issuer and endpoints', async () => {
    const proxy = await startBehindTlsProxy();
    const document = await discover(proxy.url);
    expect(document.issuer).toBe(`https://localhost:${proxy.port}`);
    expect(document.token_endpoint).toBe(`https://localhost:${proxy.port}/connect/token`);
    expect(document.authorization_endpoint).toBe(`https://localhost:${proxy.port}/connect/authorize`);
    expect(document.jwks_uri).toBe(`https://localhost:${proxy.port}/.well-known/openid-configuration/jwks`);

    // The advertised JWKS answers through the same proxy.
    const jwks = await get(document.jwks_uri, cert.pem);
    expect(jwks.status).toBe(200);
    expect(JSON.parse(jwks.body)).toHaveProperty('keys');
  });

  describe('the nginx example of README.md and docs/deployment.md, run as written', () => {
    /** The README's block, which docs/deployment.md must repeat word for word. */
    function documentedExample(): string {
      const readme = markedBlock(readDoc('README.md'), 'nginx example');
      expect(markedBlock(readDoc('docs/deployment.md'), 'nginx example')).toBe(readme);
      return readme;
    }

    function replaceOnce(text: string, placeholder: string, value: string): string {
      expect(text.split(placeholder)).toHaveLength(2);
      return text.replace(placeholder, value);
    }

    /** Only the placeholders change: our free port on loopback, our certificate, our app. */
    async function serveExample(example: string): Promise<RunningProxy> {
      app = await startTestApp();
      const upstream = app.baseUrl;
      const proxy = await startNginxServer(nginxPath, (port) => [
        ['listen 8443 ssl;', `listen 127.0.0.1:${port} ssl;`],
        ['/etc/ssl/certs/id.example.com.pem', cert.certPath],
        ['/etc/ssl/private/id.example.com.key', cert.keyPath],
        ['http://127.0.0.1:5000', upstream],
      ].reduce((text, [placeholder, value]) => replaceOnce(text, placeholder, value), example), 'https');
      proxies.push(proxy);
      return proxy;
    }

    it('served on a non-443 port, should keep the port in the issuer and the endpoints', async () => {
      const proxy = await serveExample(documentedExample());
      for (const host of ['127.0.0.1', 'localhost']) {
        const document = await discover(`https://${host}:${proxy.port}`);
        expect(document.issuer).toBe(`https://${host}:${proxy.port}`);
        expect(document.token_endpoint).toBe(`https://${host}:${proxy.port}/connect/token`);
      }
    });

    it('with `Host $host` instead of `$http_host`, should lose the port (why the example uses $http_host)', async () => {
      const proxy = await serveExample(replaceOnce(documentedExample(), 'Host $http_host;', 'Host $host;'));
      expect((await discover(`https://127.0.0.1:${proxy.port}`)).issuer).toBe('https://127.0.0.1');
    });
  });

  it('discovery, when KNOWN_PROXIES and KNOWN_NETWORKS exclude loopback, should ignore the headers, show http:// and count them', async () => {
    const proxy = await startBehindTlsProxy({ KNOWN_PROXIES: '10.9.8.7', KNOWN_NETWORKS: '10.0.0.0/8' });
    const document = await discover(proxy.url);
    expect(document.issuer).toBe(`http://localhost:${proxy.port}`);
    expect(document.token_endpoint).toBe(`http://localhost:${proxy.port}/connect/token`);

    const metrics = await get(`${proxy.url}/metrics`, cert.pem);
    const ignored = /^forwarded_headers_ignored_total\{reason="untrusted_proxy"\} (\d+)/m.exec(metrics.body);
    expect(Number(ignored?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('discovery, with FORWARDED_HEADERS listing XForwardedHost, should take the host from X-Forwarded-Host', async () => {
    const headers = { Host: 'upstream.internal', 'X-Forwarded-Host': '$http_host' };
    const proxy = await startBehindTlsProxy({ FORWARDED_HEADERS: 'XForwardedFor,XForwardedProto,XForwardedHost' }, headers);
    expect((await discover(proxy.url)).issuer).toBe(`https://localhost:${proxy.port}`);
  });

  it('discovery, without XForwardedHost in FORWARDED_HEADERS, should keep the Host the proxy sent', async () => {
    const headers = { Host: 'upstream.internal', 'X-Forwarded-Host': '$http_host' };
    const proxy = await startBehindTlsProxy({ FORWARDED_HEADERS: 'XForwardedFor,XForwardedProto' }, headers);
    expect((await discover(proxy.url)).issuer).toBe('https://upstream.internal');
  });

  describe('two chained proxies (TLS edge → inner proxy → app)', () => {
    async function startChain(env: Record<string, string>): Promise<RunningProxy> {
      app = await startTestApp(env);
      // The inner proxy appends its own hop to both lists, as a second load balancer would.
      const inner = await startNginx(nginxPath, {
        upstream: app.baseUrl,
        headers: { 'X-Forwarded-Proto': '$http_x_forwarded_proto, $scheme' },
      });
      proxies.push(inner);
      const edge = await startNginx(nginxPath, { upstream: `http://127.0.0.1:${inner.port}`, tls: cert });
      proxies.push(edge);
      return edge;
    }

    it('with FORWARD_LIMIT=1, should unwind only the inner hop (http)', async () => {
      const edge = await startChain({ FORWARD_LIMIT: '1' });
      expect((await discover(edge.url)).issuer).toBe(`http://localhost:${edge.port}`);
    });

    it('with FORWARD_LIMIT=2, should unwind both hops and see the client\'s https', async () => {
      const edge = await startChain({ FORWARD_LIMIT: '2' });
      const document = await discover(edge.url);
      expect(document.issuer).toBe(`https://localhost:${edge.port}`);
      expect(document.token_endpoint).toBe(`https://localhost:${edge.port}/connect/token`);
    });
  });

  it('ISSUER_URI, should override the forwarded scheme and host', async () => {
    const proxy = await startBehindTlsProxy({ ISSUER_URI: 'https://id.example.test/', KNOWN_PROXIES: '10.9.8.7', KNOWN_NETWORKS: '10.0.0.0/8' });
    const document = await discover(proxy.url);
    expect(document.issuer).toBe('https://id.example.test');
    expect(document.token_endpoint).toBe('https://id.example.test/connect/token');
    // and directly, without any proxy
    expect((await discover(app?.baseUrl ?? '')).issuer).toBe('https://id.example.test');
  });

  it('direct requests to the app (no proxy), should show the plain http origin', async () => {
    app = await startTestApp();
    expect((await discover(app.baseUrl)).issuer).toBe(app.baseUrl);
  });
});
