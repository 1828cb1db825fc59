import { decodeProtectedHeader } from 'jose';
import { KeyManager } from '../../src/key-management/key-manager.service';
import { SigningService } from '../../src/key-management/signing.service';
import { startTestApp, type TestApp } from '../support/test-app';

const ROTATION = 20_000;
const PROPAGATION = 5_000;
const RETENTION = 8_000;
const RUN_FOR = 45_000;
const SAMPLE_EVERY = 200;
/** one sampling period plus a request's latency: how late the test may notice a change */
const TOLERANCE = 400;

/**
 * Real time, short intervals (issue 3): the scheduler, the cache and the store work together as
 * in production. Every token's kid must have been in the JWKS before it signed, every successor
 * announced a full propagation time before its first signature, and retired keys stay published
 * for the retention time.
 */
describe('signing-key rotation in real time (~45 s)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      KEY_MANAGEMENT_ROTATION_INTERVAL: '20s',
      KEY_MANAGEMENT_PROPAGATION_TIME: '5s',
      KEY_MANAGEMENT_RETENTION_DURATION: '8s',
      KEY_MANAGEMENT_CHECK_INTERVAL: '1s',
      KEY_MANAGEMENT_KEY_CACHE_DURATION: '1s',
    });
  });
  afterAll(() => app.close());

  it('should only ever sign with keys that were announced long enough and keep retired keys for the retention', async () => {
    const signing = app.app.get(SigningService);
    const manager = app.app.get(KeyManager);
    const jwksUrl = `${app.baseUrl}/.well-known/openid-configuration/jwks`;
    const viaHttp = (await fetch(jwksUrl)).status === 200;
    const fetchKids = async (): Promise<string[]> => {
      const jwks = viaHttp
        ? ((await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string }> })
        : (await signing.getPublishedKeySet()).jwks;
      return jwks.keys.map((k) => String(k.kid));
    };

    const created = new Map<string, number>();
    const firstPublished = new Map<string, number>();
    const lastPublished = new Map<string, number>();
    const gone = new Map<string, number>();
    const firstSigned = new Map<string, number>();
    const lastSigned = new Map<string, number>();
    const violations: string[] = [];

    const start = Date.now();
    while (Date.now() - start < RUN_FOR) {
      const fetchedAt = Date.now();
      const kids = await fetchKids();
      for (const kid of kids) {
        if (!firstPublished.has(kid)) firstPublished.set(kid, fetchedAt);
        lastPublished.set(kid, fetchedAt);
      }
      for (const kid of lastPublished.keys()) if (!kids.includes(kid) && !gone.has(kid)) gone.set(kid, fetchedAt);
      for (const key of await manager.listKeys()) created.set(key.kid, key.created.getTime());

      const signedAt = Date.now();
      const { jwt, kid } = await signing.sign({ sub: 'alice' }, { typ: 'at+jwt' });
      expect(decodeProtectedHeader(jwt).kid).toBe(kid);
      if (!firstPublished.has(kid) || (firstPublished.get(kid) ?? Infinity) > signedAt) violations.push(`${kid} signed before it was seen in JWKS`);
      if (gone.has(kid)) violations.push(`${kid} signed after it left JWKS`);
      if (!firstSigned.has(kid)) firstSigned.set(kid, signedAt);
      lastSigned.set(kid, signedAt);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY));
    }

    expect(violations).toEqual([]);
    const signers = [...firstSigned.keys()];
    // 45 s with a 20 s rotation: the first key and at least two successors signed.
    expect(signers.length).toBeGreaterThanOrEqual(3);
    for (const kid of signers.slice(1)) {
      const announced = created.get(kid) ?? firstPublished.get(kid) ?? 0;
      const first = firstSigned.get(kid) ?? 0;
      // announced at least the propagation time before its first signature
      expect(first - announced).toBeGreaterThanOrEqual(PROPAGATION);
      expect(first - (firstPublished.get(kid) ?? Infinity)).toBeGreaterThanOrEqual(PROPAGATION - TOLERANCE);
    }
    for (const kid of signers) {
      const signedUntil = lastSigned.get(kid) ?? 0;
      const age = signedUntil - (created.get(kid) ?? 0);
      expect(age).toBeLessThan(ROTATION + TOLERANCE); // never signs once older than the rotation interval
      const left = gone.get(kid);
      if (left === undefined) continue;
      // a retired key stays in JWKS for the retention time after it stopped signing, and its whole life
      expect(left - signedUntil).toBeGreaterThanOrEqual(RETENTION - TOLERANCE);
      expect(left - (created.get(kid) ?? 0)).toBeGreaterThanOrEqual(ROTATION + RETENTION);
    }
    // the first key retired within the run and left JWKS after rotation + retention
    expect(gone.has(signers[0])).toBe(true);
  }, 90_000);
});
