import { InMemoryDistributedCache } from '../caching/in-memory-distributed-cache';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { FakeDataProtectionProvider } from '../../test/support/fakes/key-management.fakes';
import { ExternalSignInStateStore, EXTERNAL_SIGN_IN_STATE_LIFETIME_MS, type ExternalSignInState } from './external-sign-in-state.store';

const STATE: ExternalSignInState = {
  scheme: 'corp', returnUrl: '/connect/authorize/callback?x=1', redirectUri: 'https://idp.example/signin/corp',
  codeVerifier: 'verifier', nonce: 'nonce', correlation: 'hash',
};

function setUp() {
  const clock = new FakeClock();
  const cache = new InMemoryDistributedCache(clock);
  const dataProtection = new FakeDataProtectionProvider();
  return { clock, cache, dataProtection, store: new ExternalSignInStateStore(cache, clock, dataProtection) };
}

describe('ExternalSignInStateStore', () => {
  afterEach(() => jest.restoreAllMocks());

  it('save, should return a short random id (the state sent upstream) and keep only protected content in the cache', async () => {
    const { store, cache } = setUp();
    const set = jest.spyOn(cache, 'set');
    const id = await store.save(STATE);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.save(STATE)).not.toBe(id);
    const stored = set.mock.calls[0][1];
    expect(stored).not.toContain('verifier');
    expect(stored).not.toContain('/connect/authorize');
    expect(set.mock.calls[0][2]).toBe(EXTERNAL_SIGN_IN_STATE_LIFETIME_MS);
  });

  it('take, should give the state once; the second take finds nothing', async () => {
    const { store } = setUp();
    const id = await store.save(STATE);
    expect(await store.take(id)).toEqual(STATE);
    expect(await store.take(id)).toBeUndefined();
  });

  it('take, after 15 minutes, should find nothing; just before, should find it', async () => {
    const { store, clock } = setUp();
    const early = await store.save(STATE);
    const late = await store.save(STATE);
    clock.advance(EXTERNAL_SIGN_IN_STATE_LIFETIME_MS - 1);
    expect(await store.take(early)).toEqual(STATE);
    clock.advance(1);
    expect(await store.take(late)).toBeUndefined();
  });

  it('take, with an id of another shape or content that does not unprotect, should find nothing', async () => {
    const { store, cache, dataProtection } = setUp();
    expect(await store.take('short')).toBeUndefined();
    expect(await store.take(`${'a'.repeat(43)}/`)).toBeUndefined();
    const id = await store.save(STATE);
    await cache.set(`external-sign-in:${id}`, 'tampered', 60_000);
    expect(await store.take(id)).toBeUndefined();
    const other = await store.save(STATE);
    dataProtection.broken = true;
    expect(await store.take(other)).toBeUndefined();
  });
});
