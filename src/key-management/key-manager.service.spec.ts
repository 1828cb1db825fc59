import { Logger } from '@nestjs/common';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { ReadOnlyError, WriteAccess } from '../common/write-access';
import { JoseSigningService } from './jose-signing.service';
import { KeyManager } from './key-manager.service';
import { AlgorithmNotAllowedError, NoSigningKeyError } from './signing.service';
import { SigningKeysOnHoldError } from './unreadable-signing-key';
import { DependencyUnavailableError } from '../common/dependency-unavailable';
import { InMemoryDataProtectionKeyStore } from '../data-protection/in-memory-data-protection-key.store';
import { KeyMaterialEncryptor } from '../data-protection/key-material.encryptor';
import { KeyRingDataProtectionProvider } from '../data-protection/key-ring.data-protection.provider';
import { KeyRingService } from '../data-protection/key-ring.service';
import { loadStaticCredentials, type StaticKeys } from './static-credentials.loader';
import {
  DAY, FakeClock, FakeDataProtectionProvider, FlakySigningKeyStore, InMemorySigningKeyStore, keyConfig, NamedDataProtectionKeyStore,
} from '../../test/support/fakes/key-management.fakes';

const NO_STATIC: StaticKeys = { signing: [], validation: [] };

/** A logger that keeps error lines. */
function capture(errors: string[]) {
  return { error: (m: unknown) => errors.push(String(m)), log: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined };
}


async function build(env: Record<string, string> = {}, staticKeys: StaticKeys = NO_STATIC, store = new InMemorySigningKeyStore()) {
  const clock = new FakeClock();
  const protection = new FakeDataProtectionProvider();
  const config = keyConfig(env);
  const manager = new KeyManager(store, clock, config, protection);
  const signing = new JoseSigningService(manager, staticKeys, config);
  await manager.onModuleInit();
  const jwksKids = async () => (await signing.getPublishedKeySet()).jwks.keys.map((k) => k.kid);
  const signingKid = async (allowed?: string[]) =>
    (await signing.sign({ sub: 'x' }, allowed ? { allowedAlgorithms: [allowed as never] } : {})).kid;
  return { clock, store, protection, config, manager, signing, jwksKids, signingKid };
}

type Env = Awaited<ReturnType<typeof build>>;

/**
 * Walks simulated time in steps, running the scheduled check at each, and checks the signing-key
 * guarantees of docs/deployment.md at every step: the signing key is published; it was published at least
 * the propagation time before it first signed (except the very first key); a key stays
 * published until rotation + retention.
 */
async function walk(env: Env, untilMs: number, stepMs: number, options: { rotation: number; propagation: number; retention: number }) {
  const firstPublished = new Map<string, number>();
  const firstSigned = new Map<string, number>();
  const start = env.clock.now().getTime();
  let previousJwks: string[] = [];
  for (let t = 0; t <= untilMs; t += stepMs) {
    if (t > 0) env.clock.advance(stepMs);
    await env.manager.ensureKeys();
    const now = env.clock.now().getTime();
    const kids = await env.jwksKids();
    for (const kid of kids) if (kid && !firstPublished.has(kid)) firstPublished.set(kid, now);
    const kid = await env.signingKid();
    expect(kids).toContain(kid);
    if (!firstSigned.has(kid)) firstSigned.set(kid, now);
    const created = [...env.store.rows.values()].find((r) => r.id === kid)?.created.getTime() ?? start;
    if (firstSigned.size > 1 && firstSigned.get(kid) === now) {
      expect(now - (firstPublished.get(kid) ?? now)).toBeGreaterThanOrEqual(options.propagation);
    }
    // A key leaves JWKS only once older than rotation + retention.
    for (const gone of previousJwks.filter((k) => k && !kids.includes(k))) {
      const published = firstPublished.get(gone) ?? now;
      expect(now - published).toBeGreaterThanOrEqual(options.rotation + options.retention);
    }
    expect(now - created).toBeLessThanOrEqual(options.rotation);
    previousJwks = kids.filter((k): k is string => k !== undefined);
  }
  return { firstPublished, firstSigned };
}

describe('KeyManager + JoseSigningService (simulated time)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('walk, with the default intervals (90d/14d/14d), should move keys through every phase', async () => {
    const env = await build();
    const [k1] = await env.jwksKids();
    expect(await env.signingKid()).toBe(k1); // first key signs at once

    env.clock.advance(75 * DAY);
    await env.manager.ensureKeys();
    expect(await env.jwksKids()).toEqual([k1]);

    env.clock.advance(1 * DAY); // age 76d = rotation − propagation: successor announced
    await env.manager.ensureKeys();
    const kids = await env.jwksKids();
    expect(kids).toHaveLength(2);
    const k2 = kids[1];
    expect(await env.signingKid()).toBe(k1);
    expect((await env.manager.listKeys()).map((k) => [k.kid, k.phase])).toEqual([[k1, 'signing'], [k2, 'announced']]);

    env.clock.advance(14 * DAY - 1); // just before k1 retires
    await env.manager.ensureKeys();
    expect(await env.signingKid()).toBe(k1);

    env.clock.advance(1); // 90d: k1 retired, k2 signs after a full propagation time
    await env.manager.ensureKeys();
    expect(await env.signingKid()).toBe(k2);
    expect(await env.jwksKids()).toEqual([k1, k2]);
    const list = await env.manager.listKeys();
    expect(list.map((k) => [k.kid, k.phase])).toEqual([[k1, 'retired'], [k2, 'signing']]);
    expect(list[0].nextPhaseAt?.getTime()).toBe(list[0].created.getTime() + 104 * DAY);

    env.clock.advance(14 * DAY - 1); // retired key still published during retention
    await env.manager.ensureKeys();
    expect(await env.jwksKids()).toEqual([k1, k2]);

    env.clock.advance(1); // 104d: k1 expired → out of JWKS and deleted (default)
    await env.manager.ensureKeys();
    expect(await env.jwksKids()).toEqual([k2]);
    expect([...env.store.rows.keys()]).toEqual([k2]);
  });

  it('walk, over 400 simulated days with default intervals, should keep every documented guarantee at each step', async () => {
    const env = await build();
    const { firstSigned } = await walk(env, 400 * DAY, DAY, { rotation: 90 * DAY, propagation: 14 * DAY, retention: 14 * DAY });
    expect(firstSigned.size).toBe(6); // 0, 90, 166, 242, 318, 394 (successors every 76 days)
    expect(env.store.rows.size).toBeLessThanOrEqual(2);
  });

  it('walk, with custom intervals (10d/2d/3d, cache 1d), should rotate on those intervals', async () => {
    const env = await build({
      KEY_MANAGEMENT_ROTATION_INTERVAL: '10d', KEY_MANAGEMENT_PROPAGATION_TIME: '2d',
      KEY_MANAGEMENT_RETENTION_DURATION: '3d', KEY_MANAGEMENT_KEY_CACHE_DURATION: '1d',
    });
    const [k1] = await env.jwksKids();
    env.clock.advance(8 * DAY);
    await env.manager.ensureKeys();
    const k2 = (await env.jwksKids())[1];
    expect(k2).toBeDefined();
    expect(await env.signingKid()).toBe(k1);
    env.clock.advance(2 * DAY);
    expect(await env.signingKid()).toBe(k2); // via the cache refresh alone (phase boundary passed)
    env.clock.advance(3 * DAY);
    expect(await env.jwksKids()).toEqual([k2]);

    const walkEnv = await build({
      KEY_MANAGEMENT_ROTATION_INTERVAL: '10d', KEY_MANAGEMENT_PROPAGATION_TIME: '2d',
      KEY_MANAGEMENT_RETENTION_DURATION: '3d', KEY_MANAGEMENT_KEY_CACHE_DURATION: '1d',
    });
    const { firstSigned } = await walk(walkEnv, 60 * DAY, DAY / 4, { rotation: 10 * DAY, propagation: 2 * DAY, retention: 3 * DAY });
    expect(firstSigned.size).toBe(8); // 0, 10, 18, 26, 34, 42, 50, 58
  });

  it('getKeySet, without the scheduler running, should create the successor when the cached set reaches its boundary', async () => {
    const env = await build({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '1h' });
    const [k1] = await env.jwksKids();
    env.clock.advance(76 * DAY);
    expect(await env.signingKid()).toBe(k1);
    expect(await env.jwksKids()).toHaveLength(2);
  });

  it('getKeySet, while the store is down, should still move phases on: the cached successor takes over, a retired key stops signing', async () => {
    const store = new FlakySigningKeyStore();
    const env = await build({}, NO_STATIC, store);
    const [k1] = await env.jwksKids();
    env.clock.advance(20 * DAY);
    const [k2] = await env.manager.rotateNow();
    store.down = true;
    env.clock.advance(14 * DAY); // k2 has been announced for the propagation time
    expect(await env.signingKid()).toBe(k2);
    expect(await env.jwksKids()).toEqual([k1, k2]);
    env.clock.advance(76 * DAY); // day 110: k2 is older than the rotation interval, k1 past its retention
    await expect(env.signing.sign({ sub: 'x' })).rejects.toBeInstanceOf(NoSigningKeyError);
    expect(await env.signing.getSigningAlgorithms()).toEqual([]);
    expect(await env.jwksKids()).toEqual([k2]); // retired, still published for the retention
    store.down = false;
    env.clock.advance(1000); // the store is retried within a second and a new key signs
    const k3 = await env.signingKid();
    expect([k1, k2]).not.toContain(k3);
  });

  it('getKeySet, when an algorithm has no signing key, should re-read the store after a second, not the cache duration', async () => {
    const store = new FlakySigningKeyStore();
    store.dropWrites = true; // the first key is lost on its way to the store
    const env = await build({}, NO_STATIC, store);
    await expect(env.signing.sign({ sub: 'x' })).rejects.toBeInstanceOf(NoSigningKeyError);
    store.dropWrites = false;
    env.clock.advance(999);
    await expect(env.signing.sign({ sub: 'x' })).rejects.toBeInstanceOf(NoSigningKeyError);
    env.clock.advance(1); // KEY_MANAGEMENT_KEY_CACHE_DURATION is 24h
    const kid = await env.signingKid();
    expect(await env.jwksKids()).toEqual([kid]);
  });

  it('ensureKeys, with KEY_MANAGEMENT_DELETE_RETIRED_KEYS=false, should keep expired keys stored but unpublished', async () => {
    const env = await build({ KEY_MANAGEMENT_DELETE_RETIRED_KEYS: 'false' });
    const [k1] = await env.jwksKids();
    env.clock.advance(104 * DAY);
    await env.manager.ensureKeys();
    expect(await env.jwksKids()).not.toContain(k1);
    expect(env.store.rows.has(k1 as string)).toBe(true);
    expect((await env.manager.listKeys()).find((k) => k.kid === k1)?.phase).toBe('expired');
  });

  it('rotateNow should announce a new key that signs only after the propagation time', async () => {
    const env = await build();
    const [k1] = await env.jwksKids();
    env.clock.advance(20 * DAY);
    const [k2] = await env.manager.rotateNow();
    expect(await env.jwksKids()).toEqual([k1, k2]);
    expect(await env.signingKid()).toBe(k1);
    env.clock.advance(14 * DAY);
    expect(await env.signingKid()).toBe(k2);
    expect(await env.jwksKids()).toEqual([k1, k2]); // k1 stays published until 104d
  });

  it('several algorithms should each get their own key and lifecycle; x509 keys carry x5c/x5t', async () => {
    const env = await build({ KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256+x509,PS384' });
    const { jwks } = await env.signing.getPublishedKeySet();
    expect(jwks.keys.map((k) => [k.alg, k.kty, k.use])).toEqual([['RS256', 'RSA', 'sig'], ['ES256', 'EC', 'sig'], ['PS384', 'RSA', 'sig']]);
    const ec = jwks.keys[1];
    expect(ec.crv).toBe('P-256');
    expect(ec.x5c).toHaveLength(1);
    expect(typeof ec.x5t).toBe('string');
    expect(typeof ec['x5t#S256']).toBe('string');
    // the certificate holds this very key, and the thumbprints are of its DER (RFC 7517 §4.7-4.9)
    const der = Buffer.from(String(ec.x5c?.[0]), 'base64');
    const certificate = new X509Certificate(der);
    expect(certificate.publicKey.export({ format: 'jwk' })).toEqual(createPublicKey({ key: { kty: 'EC', crv: ec.crv, x: ec.x, y: ec.y }, format: 'jwk' }).export({ format: 'jwk' }));
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(ec.x5t).toBe(createHash('sha1').update(der).digest('base64url'));
    expect(ec['x5t#S256']).toBe(createHash('sha256').update(der).digest('base64url'));
    expect(jwks.keys[0].x5c).toBeUndefined();
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');

    expect(await env.signing.getSigningAlgorithms()).toEqual(['RS256', 'ES256', 'PS384']);
    const signed = await env.signing.sign({ sub: 'alice' }, { allowedAlgorithms: [['PS384', 'ES256'], ['ES256']], typ: 'at+jwt' });
    expect(signed.alg).toBe('ES256');
    expect(decodeProtectedHeader(signed.jwt)).toEqual({ alg: 'ES256', kid: ec.kid, typ: 'at+jwt' });
    expect((await env.signing.verify(signed.jwt)).payload.sub).toBe('alice');
    expect((await env.signing.sign({ sub: 'a' })).alg).toBe('RS256');
    await expect(env.signing.sign({}, { allowedAlgorithms: [['PS384'], ['ES256']] })).rejects.toBeInstanceOf(AlgorithmNotAllowedError);
    await expect(env.signing.sign({}, { allowedAlgorithms: [['ES512']] })).rejects.toBeInstanceOf(NoSigningKeyError);

    // A forced rotation of all algorithms: each takes over after its own propagation time.
    env.clock.advance(DAY);
    const created = await env.manager.rotateNow();
    expect(created).toHaveLength(3);
    expect((await env.signing.getPublishedKeySet()).jwks.keys).toHaveLength(6);
  });

  it('sign, over many tokens and store re-reads, should unprotect and import each stored key only once', async () => {
    const env = await build({ KEY_MANAGEMENT_KEY_CACHE_DURATION: '1h' });
    expect(env.protection.unprotected).toBe(1); // read back once after it was created
    for (let i = 0; i < 5; i++) {
      env.clock.advance(2 * 3_600_000); // past the cache duration: the store is read again
      await env.manager.ensureKeys();
      for (let j = 0; j < 3; j++) await env.signingKid();
    }
    expect(env.protection.unprotected).toBe(1);
  });

  it('getPublishedKeySet should serialise once per key-set change (same object, stable ETag)', async () => {
    const env = await build();
    const first = await env.signing.getPublishedKeySet();
    expect(await env.signing.getPublishedKeySet()).toBe(first);
    expect(JSON.parse(first.json)).toEqual(first.jwks);
    await env.manager.rotateNow();
    const second = await env.signing.getPublishedKeySet();
    expect(second.etag).not.toBe(first.etag);
  });

  it('verify should reject a token signed by a key that is not published', async () => {
    const a = await build();
    const b = await build();
    const { jwt } = await b.signing.sign({ sub: 'x' });
    await expect(a.signing.verify(jwt)).rejects.toThrow();
  });

  it('a key that cannot be unprotected should be skipped and reported, never crash, and its reader creates no key of its own', async () => {
    const first = await build();
    const [k1] = await first.jwksKids();
    const errors: string[] = [];
    Logger.overrideLogger(capture(errors));
    try {
      // A second instance whose data protection cannot read the first one's keys.
      const protection = new FakeDataProtectionProvider();
      protection.broken = true;
      const manager = new KeyManager(first.store, first.clock, first.config, protection);
      await manager.onModuleInit();
      expect(manager.getUnreadableKeyIds()).toEqual([k1]);
      expect(errors.filter((e) => e.includes('Signing keys on hold') && e.includes(String(k1)))).toHaveLength(1);
      // Before the hold it made a key of its own (unreadable to it too); now it makes none, however often it checks.
      first.clock.advance(DAY);
      await manager.ensureKeys();
      await manager.ensureKeys();
      expect([...first.store.rows.keys()]).toEqual([k1]);
      expect((await manager.listKeys()).every((k) => !k.readable)).toBe(true);
    } finally {
      Logger.overrideLogger(false);
    }
  });

  describe('on hold: stored keys it cannot read (docs/deployment.md#signing-keys-on-hold)', () => {
    const masterKey = randomBytes(32);
    /** Instance A: real data protection (key ring under a master key) over shared stores. */
    async function instanceA(env: Record<string, string> = {}) {
      const clock = new FakeClock();
      const dpStore = new NamedDataProtectionKeyStore(['identity-server']);
      const a = await instance({ clock, signingStore: new InMemorySigningKeyStore(), dpStore, encryptor: new KeyMaterialEncryptor(masterKey, undefined), env });
      return { ...a, clock, dpStore };
    }
    async function instance(options: {
      clock: FakeClock; signingStore: InMemorySigningKeyStore; dpStore: InMemoryDataProtectionKeyStore; encryptor: KeyMaterialEncryptor;
      env?: Record<string, string>;
    }) {
      const config = keyConfig({ ...options.env });
      const ring = new KeyRingService(options.dpStore, options.encryptor, options.clock, config);
      await ring.onModuleInit();
      ring.onModuleDestroy();
      const manager = new KeyManager(options.signingStore, options.clock, config, new KeyRingDataProtectionProvider(ring, options.clock), WriteAccess.readWrite, ring);
      const signing = new JoseSigningService(manager, NO_STATIC, config);
      await manager.onModuleInit();
      return { manager, signing, ring, config, store: options.signingStore };
    }
    /** Every stored row as written, and every key's phase dates as A decides them. */
    async function snapshot(a: { store: InMemorySigningKeyStore; manager: KeyManager }) {
      return { rows: structuredClone([...a.store.rows.values()]), phases: await a.manager.listKeys() };
    }

    let errors: string[];
    beforeEach(() => {
      errors = [];
      Logger.overrideLogger(capture(errors));
    });
    afterEach(() => Logger.overrideLogger(false));

    it('another application name: B creates no key, deletes none, changes no date, refuses rotateNow, and logs the cause once per check', async () => {
      const a = await instanceA({ KEY_MANAGEMENT_DELETE_RETIRED_KEYS: 'false' });
      // A: an expired key kept in the store, and a signing key
      a.clock.advance(120 * DAY);
      await a.manager.ensureKeys();
      const before = await snapshot(a);
      expect(before.rows).toHaveLength(2);
      const live = before.phases.filter((k) => k.phase !== 'expired').map((k) => k.kid);

      // B: the same signing-key store, another application name: its own (new) key ring in a backend that lists A's too
      const b = await instance({
        clock: a.clock, signingStore: a.store, dpStore: new NamedDataProtectionKeyStore(['identity-server', 'other-name']),
        encryptor: new KeyMaterialEncryptor(masterKey, undefined),
        env: { DATA_PROTECTION_APPLICATION_NAME: 'other-name' },
      });
      const holdLines = () => errors.filter((e) => e.includes('Signing keys on hold'));
      expect(holdLines()).toHaveLength(1);
      expect(b.manager.onHold).toBe(true);
      expect(b.manager.getUnreadableKeys()).toEqual(live.map((kid) => ({
        kid, alg: 'RS256', cause: 'application-name', message: expect.stringContaining('"identity-server"') as unknown,
      })));
      expect(holdLines()[0]).toContain('DATA_PROTECTION_APPLICATION_NAME');
      expect(holdLines()[0]).toContain(live[0]);

      // checks at the times A would rotate: still nothing written, no date moved
      for (const days of [0, 60, 20]) {
        a.clock.advance(days * DAY);
        expect(await b.manager.ensureKeys()).toEqual([]);
        expect(a.store.rows.size).toBe(2);
      }
      expect(holdLines()).toHaveLength(4);
      await expect(b.manager.rotateNow()).rejects.toBeInstanceOf(SigningKeysOnHoldError);
      await expect(b.signing.sign({ sub: 'x' })).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(structuredClone([...a.store.rows.values()])).toEqual(before.rows);
      expect(structuredClone(await new KeyManager(a.store, a.clock, a.config, new KeyRingDataProtectionProvider(a.ring, a.clock), WriteAccess.readOnly, a.ring)
        .listKeys()).map((k) => [k.kid, k.created])).toEqual(before.phases.map((k) => [k.kid, k.created]));
      // requests between checks do not log: only the checks did (the first check also logged each key's unprotect failure once)
      for (let i = 0; i < 10; i++) await b.signing.getPublishedKeySet();
      expect(holdLines()).toHaveLength(4);
      expect(errors.filter((e) => /not found in the key ring/.test(e))).toHaveLength(before.rows.length);
    });

    it('another master key: the cause names DATA_PROTECTION_MASTER_KEY, and the data-protection ring creates no key either', async () => {
      const a = await instanceA();
      const [kid] = [...a.store.rows.keys()];
      const ringBefore = await a.dpStore.loadAll();
      const b = await instance({ clock: a.clock, signingStore: a.store, dpStore: a.dpStore, encryptor: new KeyMaterialEncryptor(randomBytes(32), undefined) });
      expect(b.manager.getUnreadableKeys()).toEqual([{ kid, alg: 'RS256', cause: 'master-key-or-certificate', message: expect.stringContaining('different master key') as unknown }]);
      expect(errors.filter((e) => e.includes('Signing keys on hold'))[0]).toMatch(/DATA_PROTECTION_MASTER_KEY/);
      a.clock.advance(80 * DAY);
      await b.manager.ensureKeys();
      expect([...a.store.rows.keys()]).toEqual([kid]);
      expect(await a.dpStore.loadAll()).toEqual(ringBefore);
    });

    it('a ring it cannot decrypt and no signing key yet: B starts, creates neither a signing key nor a ring key, and answers 503', async () => {
      const a = await instanceA();
      const empty = new InMemorySigningKeyStore();
      const b = await instance({ clock: a.clock, signingStore: empty, dpStore: a.dpStore, encryptor: new KeyMaterialEncryptor(randomBytes(32), undefined) });
      expect(b.manager.onHold).toBe(true);
      expect(b.manager.getUnreadableKeys()).toEqual([]);
      expect(await b.manager.ensureKeys()).toEqual([]);
      await expect(b.manager.rotateNow()).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(b.signing.sign({ sub: 'x' })).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(empty.rows.size).toBe(0);
      expect(await a.dpStore.loadAll()).toHaveLength(1);
    });

    it('a tampered key: the cause is tampered-or-other; once it has expired by its clear metadata the hold ends and it is deleted', async () => {
      const a = await instanceA();
      const [row] = [...a.store.rows.values()];
      a.store.rows.set(row.id, { ...row, data: `${row.data.slice(0, -4)}AAAA` });
      const b = await instance({ clock: a.clock, signingStore: a.store, dpStore: a.dpStore, encryptor: new KeyMaterialEncryptor(masterKey, undefined) });
      expect(b.manager.getUnreadableKeys()).toEqual([{ kid: row.id, alg: 'RS256', cause: 'tampered-or-other', message: expect.stringContaining('tampered') as unknown }]);
      expect([...a.store.rows.keys()]).toEqual([row.id]);
      a.clock.advance(104 * DAY + 1000);
      const created = await b.manager.ensureKeys();
      expect(b.manager.onHold).toBe(false);
      expect(created).toHaveLength(1);
      expect([...a.store.rows.keys()]).toEqual(created);
    });

    it('keys readable again (the settings fixed): the next check creates what is due', async () => {
      const a = await instanceA();
      const protection = new FakeDataProtectionProvider();
      const store = new InMemorySigningKeyStore();
      const maker = new KeyManager(store, a.clock, a.config, protection);
      await maker.onModuleInit();
      protection.broken = true;
      const b = new KeyManager(store, a.clock, a.config, protection);
      await b.onModuleInit();
      expect(b.onHold).toBe(true);
      a.clock.advance(80 * DAY);
      expect(await b.ensureKeys()).toEqual([]);
      protection.broken = false;
      expect(await b.ensureKeys()).toHaveLength(1);
      expect(b.onHold).toBe(false);
    });
  });

  describe('static credentials with managed keys', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'km-static-'));
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'rsa.pem'), privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      writeFileSync(join(dir, 'ec-pub.pem'), publicKey.export({ format: 'pem', type: 'spki' }));
      writeFileSync(join(dir, 'rsa-pub.pem'), createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }));
      const next = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'rsa2.pem'), next.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      writeFileSync(join(dir, 'rsa2-pub.pem'), next.publicKey.export({ format: 'pem', type: 'spki' }));
    });

    /** One instance for a phase's settings, sharing store, clock and data protection with the others. */
    async function phase(env: Record<string, string>, shared: Env) {
      const config = keyConfig(env);
      const manager = new KeyManager(shared.store, shared.clock, config, shared.protection);
      const signing = new JoseSigningService(manager, await loadStaticCredentials(config), config);
      await manager.onModuleInit();
      return { signing, kids: async () => (await signing.getPublishedKeySet()).jwks.keys.map((k) => k.kid) };
    }

    it('README manual rotation of a static key: each phase publishes what the next one signs or still verifies', async () => {
      const [old, oldPub, next, nextPub] = ['rsa.pem', 'rsa-pub.pem', 'rsa2.pem', 'rsa2-pub.pem'].map((f) => join(dir, f));
      const before = { SIGNING_CREDENTIALS: `RS256=${old}`, KEY_MANAGEMENT_ENABLED: 'false' };
      const shared = await build(before, await loadStaticCredentials(keyConfig(before)));
      const announce = await phase({ SIGNING_CREDENTIALS: `RS256=${old}`, VALIDATION_KEYS: `RS256=${nextPub}`, KEY_MANAGEMENT_ENABLED: 'false' }, shared);
      const oldToken = await announce.signing.sign({ sub: 'alice' });
      const switched = await phase({ SIGNING_CREDENTIALS: `RS256=${next}`, VALIDATION_KEYS: `RS256=${oldPub}`, KEY_MANAGEMENT_ENABLED: 'false' }, shared);
      const newToken = await switched.signing.sign({ sub: 'alice' });
      expect(await announce.kids()).toEqual([oldToken.kid, newToken.kid]); // the new key was announced under its final kid
      expect(await switched.kids()).toEqual([newToken.kid, oldToken.kid]);
      expect((await switched.signing.verify(oldToken.jwt)).payload.sub).toBe('alice');
      const removed = await phase({ SIGNING_CREDENTIALS: `RS256=${next}`, KEY_MANAGEMENT_ENABLED: 'false' }, shared);
      expect(await removed.kids()).toEqual([newToken.kid]);
      await expect(removed.signing.verify(oldToken.jwt)).rejects.toThrow();
      expect(shared.store.rows.size).toBe(0);
    });

    it('README migration from a static key to automatic keys: tokens of each phase verify in the next, kids unchanged', async () => {
      const staticEnv = { SIGNING_CREDENTIALS: `RS256=${join(dir, 'rsa.pem')}` };
      const announce = await build(staticEnv, await loadStaticCredentials(keyConfig(staticEnv)));
      const staticToken = await announce.signing.sign({ sub: 'alice' });
      const [managedKid] = [...announce.store.rows.keys()];
      expect(await announce.jwksKids()).toEqual([staticToken.kid, managedKid]); // managed key created and announced

      announce.clock.advance(14 * DAY); // wait KEY_MANAGEMENT_PROPAGATION_TIME
      const switched = await phase({ VALIDATION_KEYS: `RS256=${join(dir, 'rsa-pub.pem')}` }, announce);
      const managedToken = await switched.signing.sign({ sub: 'alice' });
      expect(managedToken.kid).toBe(managedKid);
      expect(await switched.kids()).toEqual([staticToken.kid, managedKid]);
      expect((await switched.signing.verify(staticToken.jwt)).payload.sub).toBe('alice');

      const removed = await phase({}, announce);
      expect(await removed.kids()).toEqual([managedKid]);
      await expect(removed.signing.verify(staticToken.jwt)).rejects.toThrow();
      expect((await removed.signing.verify(managedToken.jwt)).payload.sub).toBe('alice');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('sign should prefer the static credential while managed keys are still created and announced', async () => {
      const env0 = {
        SIGNING_CREDENTIALS: `RS256=${join(dir, 'rsa.pem')}`,
        VALIDATION_KEYS: `ES384=${join(dir, 'ec-pub.pem')}`,
        KEY_MANAGEMENT_SIGNING_ALGORITHMS: 'RS256,ES256',
      };
      const staticKeys = await loadStaticCredentials(keyConfig(env0));
      const env = await build(env0, staticKeys);
      const staticKid = staticKeys.signing[0].kid;
      const validationKid = staticKeys.validation[0].kid;
      expect(await env.signingKid()).toBe(staticKid);
      const kids = await env.jwksKids();
      expect(kids.slice(0, 2)).toEqual([staticKid, validationKid]);
      expect(kids).toHaveLength(4); // plus the managed RS256 and ES256 keys, announced
      expect(env.store.rows.size).toBe(2);
      expect(await env.signingKid(['ES256'])).toBe(kids[3]);
      env.clock.advance(100 * DAY);
      expect(await env.signingKid()).toBe(staticKid);
      expect(await env.signing.getSigningAlgorithms()).toEqual(['RS256', 'ES256']);
    });

    it('with KEY_MANAGEMENT_ENABLED=false, only static keys are used and the store is untouched', async () => {
      const env0 = { SIGNING_CREDENTIALS: `RS256=${join(dir, 'rsa.pem')}`, KEY_MANAGEMENT_ENABLED: 'false' };
      const staticKeys = await loadStaticCredentials(keyConfig(env0));
      const env = await build(env0, staticKeys);
      expect(await env.jwksKids()).toEqual([staticKeys.signing[0].kid]);
      expect(await env.signingKid()).toBe(staticKeys.signing[0].kid);
      expect(env.store.rows.size).toBe(0);
      await expect(env.signing.sign({}, { allowedAlgorithms: [['ES256']] })).rejects.toBeInstanceOf(NoSigningKeyError);
    });
  });

  describe('read-only (the CLI\'s read-only commands)', () => {
    it('onModuleInit and listKeys, when the store is empty, should create no key', async () => {
      const store = new InMemorySigningKeyStore();
      const manager = new KeyManager(store, new FakeClock(), keyConfig(), new FakeDataProtectionProvider(), WriteAccess.readOnly);
      await manager.onModuleInit();
      expect(await manager.listKeys()).toEqual([]);
      expect(await store.loadKeys()).toEqual([]);
    });

    it('listKeys, when a writer made keys, should list them with their phase', async () => {
      const { store, clock, protection, config } = await build();
      const reader = new KeyManager(store, clock, config, protection, WriteAccess.readOnly);
      expect((await reader.listKeys()).map((k) => [k.alg, k.phase, k.readable])).toEqual([['RS256', 'signing', true]]);
    });

    it('ensureKeys and rotateNow should refuse with a ReadOnlyError and write nothing', async () => {
      const store = new InMemorySigningKeyStore();
      const manager = new KeyManager(store, new FakeClock(), keyConfig(), new FakeDataProtectionProvider(), WriteAccess.readOnly);
      await expect(manager.ensureKeys()).rejects.toBeInstanceOf(ReadOnlyError);
      await expect(manager.rotateNow()).rejects.toBeInstanceOf(ReadOnlyError);
      expect(await store.loadKeys()).toEqual([]);
    });
  });
});
