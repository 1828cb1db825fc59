import { Logger } from '@nestjs/common';
import { createDecipheriv } from 'node:crypto';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { UnprotectError, type DataProtector, type UnprotectFailure } from './data-protector';
import { createEphemeralDataProtection } from './ephemeral-data-protection.provider';
import { InMemoryDataProtectionKeyStore } from './in-memory-data-protection-key.store';
import { deriveKeySp800108HmacSha512 } from './sp800-108.kdf';

const DAY = 24 * 60 * 60 * 1000;

/** Byte ranges of a format-2 payload: [0x02][key id 16][key modifier 16][nonce 12][ciphertext][tag 16]. */
const V2 = { version: 0, keyId: 1, modifier: 17, nonce: 33, ciphertext: 45 } as const;

/**
 * A fixed ring key, and payloads made with it under the purposes 'fixtures' > 'v1' by the code
 * before the key modifier (format 1, captured from commit 15a1089) and under 'fixtures' > 'v2' by
 * format 2. Pinned so that a change of either format's derivation or layout fails here, not in
 * production on data already stored.
 */
const FIXTURE_KEY = {
  id: '5b0f7e7a-3c1d-4e2a-9f6b-0c8d1e2f3a4b',
  secret: 'AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dw',
  activationDate: new Date('2026-01-01T00:00:00Z'),
  expirationDate: new Date('2026-04-01T00:00:00Z'),
};
const V1_FIXTURES = {
  plain: 'AVsPfno8HU4qn2sMjR4vOks0XFKXF2fAqwR1WGHOPN4ppnjPgTR4hNp5uvo7JOtlBMmSEmA8SJANVnPxW2fWmNNR6Rc3wo1WogAMDOApQQ',
  /** expires 2026-02-01T12:00:00Z */
  expiring: 'AVsPfno8HU4qn2sMjR4vOkuxxZVlccvsRnCEo8fK93D5DOXeYHwEbbfDCctK7jXQs8uTBP-BJX9D8Qhl04MjSucH7u_Y',
};
const V2_FIXTURES = {
  plain: 'AlsPfno8HU4qn2sMjR4vOkvwJARnyE_fMDJjW21smhy_KylIYfF272NRXDJ4tP_98lYwEQ4DBwmGZz33sBrnuolguNc55iieBWLjrMl-78LnErkVct2_L4ULkQ',
  /** expires 2026-02-01T12:00:00Z */
  expiring: 'AlsPfno8HU4qn2sMjR4vOkvERQAvvvyCKAt0RuWZsodNPNIf81D6O34iFyqBQcyhsrSOsKOj4QWZK4YhHhZQ3-U27xFqQqQg_dvPUBGZj9NK5HqfEQ',
};

async function withFixtureKey(applicationName = 'identity-server') {
  const clock = new FakeClock(new Date('2026-02-01T00:00:00Z'));
  const store = new InMemoryDataProtectionKeyStore();
  await store.add({
    id: FIXTURE_KEY.id, creationDate: FIXTURE_KEY.activationDate, activationDate: FIXTURE_KEY.activationDate,
    expirationDate: FIXTURE_KEY.expirationDate, revoked: false, encryption: 'none', keyMaterial: FIXTURE_KEY.secret,
  });
  return { clock, ...createEphemeralDataProtection({ store, clock, applicationName }) };
}

/** The KDF label of format 2, written out from the format description rather than taken from the code. */
function v2Label(applicationName: string, purposes: readonly string[]): Buffer {
  const parts = [applicationName, ...purposes].map((part) => {
    const bytes = Buffer.from(part);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  });
  return Buffer.concat([Buffer.from('identity-server/data-protection/v2'), ...parts]);
}

/** Decrypts a format-2 payload by hand, with the key derived from `modifier` (default: the payload's own). */
function decryptV2ByHand(payload: string, secret: Buffer, label: Buffer, modifier?: Buffer): Buffer {
  const bytes = Buffer.from(payload, 'base64url');
  const header = bytes.subarray(0, V2.nonce);
  const key = deriveKeySp800108HmacSha512(secret, label, modifier ?? bytes.subarray(V2.modifier, V2.nonce), 32);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(V2.nonce, V2.ciphertext));
  decipher.setAAD(header);
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(V2.ciphertext, bytes.length - 16)), decipher.final()]);
}

async function failure(protector: DataProtector, payload: string): Promise<UnprotectError> {
  try {
    await protector.unprotect(payload);
  } catch (error) {
    if (error instanceof UnprotectError) return error;
    throw error;
  }
  throw new Error('unprotect succeeded');
}

async function reasonOf(protector: DataProtector, payload: string): Promise<UnprotectFailure> {
  return (await failure(protector, payload)).reason;
}

/** The key id a payload names (bytes 1..16 of the payload). */
function keyIdOf(payload: string): string {
  const hex = Buffer.from(payload, 'base64url').subarray(1, 17).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function flipByte(payload: string, index: number): string {
  const bytes = Buffer.from(payload, 'base64url');
  bytes[index] ^= 0x01;
  return bytes.toString('base64url');
}

describe('AesGcmDataProtector', () => {
  let errors: jest.SpyInstance;

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  describe('protect then unprotect', () => {
    it('when given a string, should return the same string from an opaque URL-safe payload', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests', 'round-trip');
      const payload = await protector.protect('hello, wörld ✓');
      expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(payload).not.toContain('hello');
      expect(Buffer.from(payload, 'base64url')[0]).toBe(2);
      await expect(protector.unprotect(payload)).resolves.toBe('hello, wörld ✓');
    });

    it('when given bytes, should return the same bytes', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const data = new Uint8Array([0, 255, 128, 7, 0xc3, 0x28]);
      const unprotected = await protector.unprotectBytes(await protector.protect(data));
      expect(Buffer.from(unprotected).equals(Buffer.from(data))).toBe(true);
    });

    it('when the same data is protected twice, should use a fresh key modifier and nonce, so the ciphertexts differ', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const [one, two] = [Buffer.from(await protector.protect('same'), 'base64url'), Buffer.from(await protector.protect('same'), 'base64url')];
      expect(one.subarray(V2.keyId, V2.modifier)).toEqual(two.subarray(V2.keyId, V2.modifier));
      expect(one.subarray(V2.modifier, V2.nonce).equals(two.subarray(V2.modifier, V2.nonce))).toBe(false);
      expect(one.subarray(V2.nonce, V2.ciphertext).equals(two.subarray(V2.nonce, V2.ciphertext))).toBe(false);
      expect(one.subarray(V2.ciphertext).equals(two.subarray(V2.ciphertext))).toBe(false);
    });

    it('should encrypt each payload under SP 800-108(key secret, label = application name and purposes, context = its key modifier)', async () => {
      const { provider, clock } = await withFixtureKey();
      const secret = Buffer.from(FIXTURE_KEY.secret, 'base64url');
      const label = v2Label('identity-server', ['fixtures', 'v2']);
      const payload = await provider.createProtector('fixtures', 'v2').protect('by the book', { expiresAt: new Date(clock.now().getTime() + 1000) });
      const plaintext = decryptV2ByHand(payload, secret, label);
      expect(plaintext[0]).toBe(1);
      expect(Number(plaintext.readBigInt64BE(1))).toBe(clock.now().getTime() + 1000);
      expect(plaintext.subarray(9).toString()).toBe('by the book');
      // the modifier really selects the key: another payload's modifier gives a key that does not open this one
      const other = Buffer.from(await provider.createProtector('fixtures', 'v2').protect('x'), 'base64url').subarray(V2.modifier, V2.nonce);
      expect(() => decryptV2ByHand(payload, secret, label, other)).toThrow();
    });

    it('when the purpose chain is built in steps, should equal the chain given at once', async () => {
      const { provider } = createEphemeralDataProtection();
      const payload = await provider.createProtector('a', 'b', 'c').protect('x');
      await expect(provider.createProtector('a').createProtector('b').createProtector('c').unprotect(payload)).resolves.toBe('x');
      expect(provider.createProtector('a').createProtector('b', 'c').purposes).toEqual(['a', 'b', 'c']);
    });
  });

  describe('unprotect failures', () => {
    it.each([
      ['key modifier', V2.modifier], ['key modifier', V2.nonce - 1], ['nonce', V2.nonce], ['nonce', V2.ciphertext - 1],
      ['ciphertext', V2.ciphertext], ['ciphertext', V2.ciphertext + 5],
    ])('when a byte of the %s (at %i) is changed, should fail as tampered naming the key id', async (_region, index) => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('secret data');
      const error = await failure(protector, flipByte(payload, index));
      expect(error.reason).toBe('tampered-or-wrong-purpose');
      expect(error.keyId).toBe(keyIdOf(payload));
      expect(error.message).toContain(keyIdOf(payload));
    });

    it('when a byte of the tag is changed or the tag cut, should fail as tampered naming the key id', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('secret data');
      const bytes = Buffer.from(payload, 'base64url');
      for (const changed of [flipByte(payload, bytes.length - 16), flipByte(payload, bytes.length - 1), bytes.subarray(0, -1).toString('base64url')]) {
        const error = await failure(protector, changed);
        expect(error.reason).toBe('tampered-or-wrong-purpose');
        expect(error.message).toContain(keyIdOf(payload));
      }
    });

    it('when a byte of the key id is changed, should fail as key-not-found naming the id it now carries', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const changed = flipByte(await protector.protect('secret data'), V2.keyId + 3);
      const error = await failure(protector, changed);
      expect(error.reason).toBe('key-not-found');
      expect(error.message).toContain(keyIdOf(changed));
    });

    it('when the version byte is changed, should fail as malformed, or as tampered when it now claims format 1', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('secret data');
      const bytes = Buffer.from(payload, 'base64url');
      for (const version of [0x00, 0x03, 0xff]) {
        bytes[V2.version] = version;
        expect(await reasonOf(protector, bytes.toString('base64url'))).toBe('malformed');
      }
      // a downgrade to format 1 reads the modifier as a nonce under the format-1 key: it cannot authenticate
      bytes[V2.version] = 0x01;
      const error = await failure(protector, bytes.toString('base64url'));
      expect(error.reason).toBe('tampered-or-wrong-purpose');
      expect(error.message).toContain(keyIdOf(payload));
    });

    it('when the purpose differs, should fail as tampered-or-wrong-purpose and log the key id', async () => {
      const { provider } = createEphemeralDataProtection();
      const payload = await provider.createProtector('cookies').protect('x');
      const error = await failure(provider.createProtector('grants'), payload);
      expect(error.reason).toBe('tampered-or-wrong-purpose');
      expect(error.keyId).toBe(keyIdOf(payload));
      expect(String(errors.mock.calls.at(-1)?.[0])).toContain(keyIdOf(payload));
      // purposes are length-prefixed: ('ab','c') is not ('a','bc')
      const chained = await provider.createProtector('ab', 'c').protect('x');
      expect(await reasonOf(provider.createProtector('a', 'bc'), chained)).toBe('tampered-or-wrong-purpose');
      expect(await reasonOf(provider.createProtector('cookies', 'sub'), payload)).toBe('tampered-or-wrong-purpose');
    });

    it('when the application name differs on a shared ring, should fail as tampered-or-wrong-purpose', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const one = createEphemeralDataProtection({ store, applicationName: 'app-one' });
      const two = createEphemeralDataProtection({ store, applicationName: 'app-two' });
      const payload = await one.provider.createProtector('p').protect('x');
      expect(await reasonOf(two.provider.createProtector('p'), payload)).toBe('tampered-or-wrong-purpose');
      await expect(one.provider.createProtector('p').unprotect(payload)).resolves.toBe('x');
    });

    it('when the key is not in the ring, should fail as key-not-found and log "The key {id} was not found in the key ring." with the purpose', async () => {
      const other = createEphemeralDataProtection();
      const payload = await other.provider.createProtector('grants').protect('x');
      const { provider } = createEphemeralDataProtection();
      const error = await failure(provider.createProtector('grants'), payload);
      expect(error.reason).toBe('key-not-found');
      expect(error.keyId).toBe(keyIdOf(payload));
      expect(errors).toHaveBeenCalledWith(expect.stringContaining(`The key ${keyIdOf(payload)} was not found in the key ring.`));
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('grants'));
    });

    it('when the payload is not ours, should fail as malformed and never throw anything else', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('x');
      for (const junk of ['', 'not base64!', 'AAAA', payload.slice(0, 20), flipByte(payload, 0), `${payload}=`]) {
        expect(await reasonOf(protector, junk)).toBe('malformed');
      }
    });

    it('when the key was revoked, should fail as key-revoked and protect new data with a new key', async () => {
      const { provider, ring } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('x');
      await ring.revokeKey(keyIdOf(payload));
      expect(await reasonOf(protector, payload)).toBe('key-revoked');
      const fresh = await protector.protect('y');
      expect(keyIdOf(fresh)).not.toBe(keyIdOf(payload));
      await expect(protector.unprotect(fresh)).resolves.toBe('y');
    });
  });

  describe('payloads of format 1 (before the key modifier)', () => {
    it('should still unprotect, with the purposes they were made for', async () => {
      const { provider } = await withFixtureKey();
      await expect(provider.createProtector('fixtures', 'v1').unprotect(V1_FIXTURES.plain)).resolves.toBe('protected before the key modifier');
      await expect(provider.createProtector('fixtures').createProtector('v1').unprotect(V1_FIXTURES.plain)).resolves.toBe('protected before the key modifier');
    });

    it('when the purpose or application name differs, should fail as tampered-or-wrong-purpose naming the key id', async () => {
      const { provider } = await withFixtureKey();
      const error = await failure(provider.createProtector('fixtures', 'v2'), V1_FIXTURES.plain);
      expect(error.reason).toBe('tampered-or-wrong-purpose');
      expect(error.message).toContain(FIXTURE_KEY.id);
      const other = await withFixtureKey('other-app');
      expect(await reasonOf(other.provider.createProtector('fixtures', 'v1'), V1_FIXTURES.plain)).toBe('tampered-or-wrong-purpose');
    });

    it('when a nonce, ciphertext or tag byte is changed, should fail as tampered', async () => {
      const { provider } = await withFixtureKey();
      const protector = provider.createProtector('fixtures', 'v1');
      const length = Buffer.from(V1_FIXTURES.plain, 'base64url').length;
      for (const index of [17, 28, 29, length - 17, length - 1]) {
        expect(await reasonOf(protector, flipByte(V1_FIXTURES.plain, index))).toBe('tampered-or-wrong-purpose');
      }
    });

    it('when it carries an expiry, should unprotect before it and fail as expired from it on (fake clock)', async () => {
      const { provider, clock } = await withFixtureKey();
      const protector = provider.createProtector('fixtures', 'v1');
      clock.advance(12 * 60 * 60 * 1000 - 1);
      await expect(protector.unprotect(V1_FIXTURES.expiring)).resolves.toBe('expires at noon');
      clock.advance(1);
      expect(await reasonOf(protector, V1_FIXTURES.expiring)).toBe('expired');
    });

    it('when the key that made it is revoked, should fail as key-revoked', async () => {
      const { provider, ring } = await withFixtureKey();
      await ring.revokeKey(FIXTURE_KEY.id);
      expect(await reasonOf(provider.createProtector('fixtures', 'v1'), V1_FIXTURES.plain)).toBe('key-revoked');
    });
  });

  describe('pinned payloads of format 2', () => {
    it('should unprotect (the derivation and layout have not changed), expiry included', async () => {
      const { provider, clock } = await withFixtureKey();
      const protector = provider.createProtector('fixtures', 'v2');
      await expect(protector.unprotect(V2_FIXTURES.plain)).resolves.toBe('protected with a key modifier');
      clock.advance(12 * 60 * 60 * 1000 - 1);
      await expect(protector.unprotect(V2_FIXTURES.expiring)).resolves.toBe('expires at noon');
      clock.advance(1);
      expect(await reasonOf(protector, V2_FIXTURES.expiring)).toBe('expired');
      expect(await reasonOf(provider.createProtector('fixtures', 'v1'), V2_FIXTURES.plain)).toBe('tampered-or-wrong-purpose');
    });
  });

  describe('misuse', () => {
    it('when a purpose is empty, should refuse to create the protector', () => {
      const { provider } = createEphemeralDataProtection();
      expect(() => provider.createProtector('')).toThrow(/non-empty/);
      expect(() => provider.createProtector('a', '')).toThrow(/non-empty/);
    });
  });

  describe('expiry', () => {
    it('when the payload has an expiry, should unprotect before it and fail as expired from it on', async () => {
      const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
      const { provider } = createEphemeralDataProtection({ clock });
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('short-lived', { expiresAt: new Date(clock.now().getTime() + 60_000) });
      clock.advance(59_999);
      await expect(protector.unprotect(payload)).resolves.toBe('short-lived');
      clock.advance(1);
      expect(await reasonOf(protector, payload)).toBe('expired');
    });
  });

  describe('key rotation over simulated time', () => {
    it('should switch to a successor at expiry, created ahead of time, while old payloads still unprotect', async () => {
      const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
      const { provider, store } = createEphemeralDataProtection({ clock, keyLifetime: '90d' });
      const protector = provider.createProtector('tests');
      const payloads: string[] = [];
      for (let day = 0; day <= 200; day += 1) {
        payloads.push(await protector.protect(`day ${day}`));
        clock.advance(DAY);
      }
      const keys = (await store.loadAll()).sort((a, b) => a.activationDate.getTime() - b.activationDate.getTime());
      expect(keys).toHaveLength(3);
      // each successor was created 2 days before it became the default, activating when its predecessor expired
      expect(keys[1].activationDate).toEqual(keys[0].expirationDate);
      expect(keys[1].activationDate.getTime() - keys[1].creationDate.getTime()).toBe(2 * DAY);
      expect(keyIdOf(payloads[89])).toBe(keys[0].id);
      expect(keyIdOf(payloads[90])).toBe(keys[1].id);
      expect(keyIdOf(payloads[180])).toBe(keys[2].id);
      for (const [day, payload] of payloads.entries()) await expect(protector.unprotect(payload)).resolves.toBe(`day ${day}`);
    });

    it('when another instance sharing the store made a key, should re-read the store on the unknown key id', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const b = createEphemeralDataProtection({ store });
      await b.ring.initialize();
      const [first] = await store.loadAll();
      await store.revoke(first.id);
      const a = createEphemeralDataProtection({ store });
      const payload = await a.provider.createProtector('p').protect('from a');
      expect(keyIdOf(payload)).not.toBe(first.id);
      await expect(b.provider.createProtector('p').unprotect(payload)).resolves.toBe('from a');
    });

    it('when several instances start at once on an empty store, should create exactly one key', async () => {
      const store = new InMemoryDataProtectionKeyStore();
      const instances = Array.from({ length: 5 }, () => createEphemeralDataProtection({ store }));
      await Promise.all(instances.map((i) => i.ring.initialize()));
      expect(await store.loadAll()).toHaveLength(1);
    });
  });
});
