import { HealthIndicatorService } from '@nestjs/terminus';
import type { JWTPayload } from 'jose';
import { loadAppConfig, type AppConfig, type SigningAlgorithm } from '../config/app-config';
import { SigningService, type PublishedKeySet, type SignedJwt } from '../key-management/signing.service';
import { defaultSigningAlgorithm, JwksHealthIndicator } from './jwks.health';

class FakeSigningService extends SigningService {
  keys = 1;
  algorithms: readonly SigningAlgorithm[] = ['RS256'];
  failure?: Error;
  async sign(_payload: JWTPayload): Promise<SignedJwt> { throw new Error('not used'); }
  async getPublishedKeySet(): Promise<PublishedKeySet> {
    if (this.failure) throw this.failure;
    const keys = Array.from({ length: this.keys }, (_, i) => ({ kty: 'RSA', kid: `k${i}` }));
    return { jwks: { keys }, json: JSON.stringify({ keys }), etag: 'e' };
  }
  async getSigningAlgorithms(): Promise<readonly SigningAlgorithm[]> { return this.algorithms; }
  async verify(): Promise<never> { throw new Error('not used'); }
  unreadable: readonly string[] = [];
  override getUnreadableKeyIds(): readonly string[] { return this.unreadable; }
}

function config(env: Record<string, string> = {}): AppConfig {
  return loadAppConfig({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'ES256,RS256', ...env });
}

function setup(env: Record<string, string> = {}) {
  const signing = new FakeSigningService();
  signing.algorithms = ['ES256', 'RS256'];
  return { signing, indicator: new JwksHealthIndicator(signing, new HealthIndicatorService(), config(env)) };
}

describe('JwksHealthIndicator', () => {
  it('check, when the default algorithm can sign, should be up', async () => {
    const { indicator } = setup();
    expect(await indicator.check()).toEqual({ jwks: { status: 'up', keys: 1, algorithms: ['ES256', 'RS256'] } });
  });

  it('check, when the default algorithm has no usable key, should be down and name it', async () => {
    const { indicator, signing } = setup();
    signing.algorithms = ['RS256'];
    const result = await indicator.check();
    expect(result.jwks.status).toBe('down');
    expect(result.jwks).toMatchObject({ message: expect.stringContaining('ES256') });
  });

  it('check, when stored keys cannot be unprotected, should stay up and list their kids', async () => {
    const { indicator, signing } = setup();
    signing.unreadable = ['K1'];
    expect(await indicator.check()).toEqual({ jwks: { status: 'up', keys: 1, algorithms: ['ES256', 'RS256'], unreadableKeys: ['K1'] } });
  });

  it('check, when the JWKS is empty, should be down', async () => {
    const { indicator, signing } = setup();
    signing.keys = 0;
    expect((await indicator.check()).jwks.status).toBe('down');
  });

  it('check, when the key source fails, should be down with its message', async () => {
    const { indicator, signing } = setup();
    signing.failure = new Error('key store unreachable');
    expect(await indicator.check()).toEqual({ jwks: { status: 'down', message: 'key store unreachable' } });
  });
});

describe('defaultSigningAlgorithm', () => {
  it('should prefer the first static credential, then the first managed algorithm', () => {
    expect(defaultSigningAlgorithm(config())).toBe('ES256');
    expect(defaultSigningAlgorithm(config({ SIGNING_CREDENTIALS: 'PS256=/k.pem' }))).toBe('PS256');
    expect(defaultSigningAlgorithm(config({ KEY_MANAGEMENT_ENABLED: 'false' }))).toBeUndefined();
  });
});
