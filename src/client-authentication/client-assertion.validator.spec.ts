import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { Clock } from '../common/clock';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { DistributedCache } from '../caching/distributed-cache';
import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { InvalidClientError } from '../protocol/protocol-errors';
import type { Client } from '../stores/models';
import { ClientAssertionValidator } from './client-assertion.validator';

class FakeClock extends Clock {
  constructor(public current = new Date()) { super(); }
  now(): Date { return this.current; }
}
class BrokenCache extends InMemoryDistributedCache {
  override async addIfAbsent(): Promise<boolean> { throw new Error('unexpected reply'); }
}
class UnreachableCache extends InMemoryDistributedCache {
  override async addIfAbsent(): Promise<boolean> { throw new DependencyUnavailableError('redis', 'Connection is closed.'); }
}

const AUD = 'https://id.example/connect/token';

describe('ClientAssertionValidator', () => {
  let clock: FakeClock;
  let cache: InMemoryDistributedCache;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
  let client: Client;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk: JWK = await exportJWK(pair.publicKey);
    client = { clientId: 'jwt-client', clientSecrets: [{ type: 'JsonWebKey', jwk }] } as Partial<Client> as Client;
  });
  beforeEach(() => { clock = new FakeClock(); cache = new InMemoryDistributedCache(clock); });
  afterEach(() => cache.onModuleDestroy());

  /** CLIENT_ASSERTION_MAX_LIFETIME at its default of 60 minutes unless given. */
  const validator = (c: DistributedCache = cache, maxLifetimeMs = 60 * 60_000): ClientAssertionValidator =>
    new ClientAssertionValidator(c, clock, { clientAssertionMaxLifetime: maxLifetimeMs });
  const assertion = (claims: Record<string, unknown> = {}, expiresIn = 60): Promise<string> =>
    new SignJWT({ jti: `j-${Math.random()}`, ...claims }).setProtectedHeader({ alg: 'ES256' })
      .setIssuer('jwt-client').setSubject('jwt-client').setAudience(AUD)
      .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + expiresIn).sign(privateKey);

  it('validate, when the assertion is valid, should accept it once and refuse a replay', async () => {
    const jwt = await assertion();
    await expect(validator().validate(client, jwt, { audiences: [AUD] })).resolves.toBeUndefined();
    await expect(validator().validate(client, jwt, { audiences: [AUD] })).rejects.toThrow(/already been used/);
  });

  it('validate, when exp is 3,600 s ahead (Authlib, FAPI 2.0), should accept it and remember its jti an hour', async () => {
    const jwt = await assertion({ jti: 'hour-long' }, 3600);
    await expect(validator().validate(client, jwt, { audiences: [AUD] })).resolves.toBeUndefined();
    clock.current = new Date(clock.current.getTime() + 3599_000);
    await expect(validator().validate(client, jwt, { audiences: [AUD] })).rejects.toThrow(/already been used/);
    expect(await cache.get('jti:jwt-client:hour-long')).toBe('1');
  });

  it.each([
    ['the default 60 minutes', 60 * 60_000, 3600 + 31],
    ['CLIENT_ASSERTION_MAX_LIFETIME=5m', 5 * 60_000, 301 + 30],
  ])('validate, when exp lies beyond %s plus the clock skew, should refuse', async (_, maxLifetimeMs, expiresIn) => {
    await expect(validator(cache, maxLifetimeMs).validate(client, await assertion({}, expiresIn), { audiences: [AUD] }))
      .rejects.toThrow(/exp must be at most/);
  });

  it('validate, when exp lies within the setting plus the clock skew, should accept', async () => {
    await expect(validator(cache, 5 * 60_000).validate(client, await assertion({}, 330), { audiences: [AUD] })).resolves.toBeUndefined();
  });

  it('validate, when iat lies in the future beyond the clock skew, should refuse', async () => {
    const now = Math.floor(clock.now().getTime() / 1000);
    await expect(validator().validate(client, await assertion({ iat: now + 31 }), { audiences: [AUD] })).rejects.toThrow(/iat is in the future/);
    await expect(validator().validate(client, await assertion({ iat: now + 30 }), { audiences: [AUD] })).resolves.toBeUndefined();
  });

  it('validate, when the audience is another server, should refuse', async () => {
    await expect(validator().validate(client, await assertion(), { audiences: ['https://other/connect/token'] })).rejects.toBeInstanceOf(InvalidClientError);
  });

  it('validate, when the replay cache is down, should fail closed', async () => {
    const broken = new BrokenCache(clock);
    await expect(validator(broken).validate(client, await assertion(), { audiences: [AUD] })).rejects.toBeInstanceOf(InvalidClientError);
    broken.onModuleDestroy();
  });

  it('validate, when the replay cache is unreachable, should refuse with the outage (503), never accept', async () => {
    const unreachable = new UnreachableCache(clock);
    const refused = validator(unreachable).validate(client, await assertion(), { audiences: [AUD] });
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(refused).rejects.toMatchObject({ dependency: 'redis', message: expect.stringContaining('jwt-client') });
    unreachable.onModuleDestroy();
  });

  it('claimedClientId, when sub differs from iss, should refuse', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('a').setSubject('b').sign(privateKey);
    expect(() => ClientAssertionValidator.claimedClientId(jwt)).toThrow(InvalidClientError);
    expect(() => ClientAssertionValidator.claimedClientId('not-a-jwt')).toThrow(InvalidClientError);
  });
});
