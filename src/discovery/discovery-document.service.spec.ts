import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from '../config/app-config';
import { SigningService, type PublishedKeySet, type SignedJwt } from '../key-management/signing.service';
import { SupportedGrantTypes } from '../protocol/grant-types';
import type { ApiResource, ApiScope, IdentityResource, Resources } from '../stores/models';
import { ResourceStore } from '../stores/resource.store';
import { DiscoveryDocumentService, MAX_CACHED_ISSUERS } from './discovery-document.service';

class FakeResourceStore extends ResourceStore {
  calls = 0;
  resources: Resources = { identityResources: [{ name: 'openid', userClaims: ['sub'] }], apiScopes: [], apiResources: [] };
  async getAllResources(): Promise<Resources> { this.calls++; return this.resources; }
  async findIdentityResourcesByScopeName(): Promise<readonly IdentityResource[]> { return []; }
  async findApiScopesByName(): Promise<readonly ApiScope[]> { return []; }
  async findApiResourcesByScopeName(): Promise<readonly ApiResource[]> { return []; }
  async findApiResourcesByName(): Promise<readonly ApiResource[]> { return []; }
}

class FakeSigningService extends SigningService {
  algorithms: readonly SigningAlgorithm[] = ['RS256'];
  async sign(_payload: JWTPayload): Promise<SignedJwt> { throw new Error('not used'); }
  async getPublishedKeySet(): Promise<PublishedKeySet> { return { jwks: { keys: [] }, json: '{"keys":[]}', etag: 'e' }; }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return this.algorithms; }
  async verify(): Promise<never> { throw new Error('not used'); }
}

function setup() {
  const store = new FakeResourceStore();
  const signing = new FakeSigningService();
  return { store, signing, service: new DiscoveryDocumentService(store, signing, new SupportedGrantTypes(['client_credentials'])) };
}

describe('DiscoveryDocumentService', () => {
  it('getDocument, should serialise the document for the issuer with an entity tag', async () => {
    const { service } = setup();
    const document = await service.getDocument('https://id.example');
    expect(JSON.parse(document.json)).toMatchObject({ issuer: 'https://id.example', scopes_supported: ['openid', 'offline_access'] });
    expect(document.etag).toMatch(/^".+"$/);
  });

  it('getDocument, when asked twice for one issuer, should reuse the same serialisation', async () => {
    const { service } = setup();
    const first = await service.getDocument('https://id.example');
    expect(await service.getDocument('https://id.example')).toBe(first);
  });

  it('getDocument, should keep one document per issuer', async () => {
    const { service } = setup();
    const a = await service.getDocument('https://a.example');
    const b = await service.getDocument('http://b.example:8080');
    expect(JSON.parse(b.json).token_endpoint).toBe('http://b.example:8080/connect/token');
    expect(await service.getDocument('https://a.example')).toBe(a);
  });

  it('getDocument, when the scopes change, should rebuild', async () => {
    const { service, store } = setup();
    const first = await service.getDocument('https://id.example');
    store.resources = { ...store.resources, apiScopes: [{ name: 'api2', userClaims: [] }] };
    const second = await service.getDocument('https://id.example');
    expect(second).not.toBe(first);
    expect(JSON.parse(second.json).scopes_supported).toContain('api2');
    expect(second.etag).not.toBe(first.etag);
  });

  it('getDocument, when the signing algorithms change, should rebuild', async () => {
    const { service, signing } = setup();
    await service.getDocument('https://id.example');
    signing.algorithms = ['ES256', 'RS256'];
    const second = await service.getDocument('https://id.example');
    expect(JSON.parse(second.json).id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256']);
  });

  it('getDocument, when equal but new input objects arrive, should keep the cached serialisation', async () => {
    const { service, store, signing } = setup();
    const first = await service.getDocument('https://id.example');
    store.resources = { ...store.resources };
    signing.algorithms = [...signing.algorithms];
    expect(await service.getDocument('https://id.example')).toBe(first);
  });

  it('getDocument, with many Host-derived issuers, should bound the cache', async () => {
    const { service } = setup();
    const first = await service.getDocument('http://host-0');
    for (let i = 1; i <= MAX_CACHED_ISSUERS; i++) await service.getDocument(`http://host-${i}`);
    expect(await service.getDocument('http://host-0')).not.toBe(first);
  });
});
