import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import type { ExternalProvider } from '../stores/models';
import { DISCOVERY_CACHE_MS, ExternalProviderClients } from './external-provider-clients';

/** A provider on loopback that serves its discovery document and counts how often it was read. */
class DiscoveryServer {
  reads = 0;
  failing = false;
  private server?: Server;
  authority = '';

  async listen(): Promise<void> {
    this.server = createServer((request, response) => {
      if (request.url !== '/.well-known/openid-configuration') {
        response.writeHead(404).end();
        return;
      }
      this.reads++;
      if (this.failing) {
        response.writeHead(500).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({
        issuer: this.authority,
        authorization_endpoint: `${this.authority}/connect/authorize`,
        token_endpoint: `${this.authority}/connect/token`,
        jwks_uri: `${this.authority}/.well-known/openid-configuration/jwks`,
        end_session_endpoint: `${this.authority}/connect/endsession`,
      }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.authority = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('ExternalProviderClients (the providers\' discovery documents)', () => {
  const upstream = new DiscoveryServer();

  beforeAll(() => upstream.listen());
  afterAll(() => upstream.close());
  beforeEach(() => {
    upstream.reads = 0;
    upstream.failing = false;
  });

  function provider(overrides: Partial<ExternalProvider> = {}): ExternalProvider {
    return {
      scheme: 'corp', displayName: 'Corporate SSO', enabled: true, authority: upstream.authority, clientId: 'downstream',
      clientSecret: { plaintext: 'secret' }, scopes: ['openid'], claimMappings: {}, autoProvision: true, ...overrides,
    };
  }

  function setUp() {
    const clock = new FakeClock();
    return { clock, clients: new ExternalProviderClients(clock, new FakeDataProtectionProvider()) };
  }

  it('configurationFor, called again, should use the cached document and not read it again', async () => {
    const { clients } = setUp();
    const first = await clients.configurationFor(provider());
    expect(first.serverMetadata().end_session_endpoint).toBe(`${upstream.authority}/connect/endsession`);
    expect(await clients.configurationFor(provider())).toBe(first);
    expect(upstream.reads).toBe(1);
  });

  it('configurationFor, for sign-ins at once before the document is read, should read it once', async () => {
    const { clients } = setUp();
    const all = await Promise.all([1, 2, 3, 4].map(() => clients.configurationFor(provider())));
    expect(new Set(all).size).toBe(1);
    expect(upstream.reads).toBe(1);
  });

  it('configurationFor, once the cache duration has passed, should read the document again; just before, should not', async () => {
    const { clients, clock } = setUp();
    await clients.configurationFor(provider());
    clock.advance(DISCOVERY_CACHE_MS - 1);
    await clients.configurationFor(provider());
    expect(upstream.reads).toBe(1);
    clock.advance(1);
    await clients.configurationFor(provider());
    expect(upstream.reads).toBe(2);
  });

  it('configurationFor, when the provider\'s client id or secret changed, should not use the configuration made for the old ones', async () => {
    const { clients } = setUp();
    const first = await clients.configurationFor(provider());
    const otherSecret = await clients.configurationFor(provider({ clientSecret: { plaintext: 'rotated' } }));
    expect(otherSecret).not.toBe(first);
    const otherClient = await clients.configurationFor(provider({ clientId: 'another' }));
    expect(otherClient.clientMetadata().client_id).toBe('another');
    expect(upstream.reads).toBe(3);
  });

  it('configurationFor, after forget, should read the document again', async () => {
    const { clients } = setUp();
    await clients.configurationFor(provider());
    clients.forget('corp');
    await clients.configurationFor(provider());
    expect(upstream.reads).toBe(2);
  });

  it('configurationFor, when the document cannot be read, should reject and cache nothing', async () => {
    const { clients } = setUp();
    upstream.failing = true;
    await expect(clients.configurationFor(provider())).rejects.toThrow();
    upstream.failing = false;
    await clients.configurationFor(provider());
    await clients.configurationFor(provider());
    expect(upstream.reads).toBe(2);
  });
});
