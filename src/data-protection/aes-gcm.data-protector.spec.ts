import { Logger } from '@nestjs/common';
import { FakeClock } from '../../test/support/fakes/fake-clock';
import { UnprotectError, type DataProtector, type UnprotectFailure } from './data-protector';
import { createEphemeralDataProtection } from './ephemeral-data-protection.provider';
import { InMemoryDataProtectionKeyStore } from './in-memory-data-protection-key.store';

const DAY = 24 * 60 * 60 * 1000;

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
      expect(Buffer.from(payload, 'base64url')[0]).toBe(1);
      await expect(protector.unprotect(payload)).resolves.toBe('hello, wörld ✓');
    });

    it('when given bytes, should return the same bytes', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const data = new Uint8Array([0, 255, 128, 7, 0xc3, 0x28]);
      const unprotected = await protector.unprotectBytes(await protector.protect(data));
      expect(Buffer.from(unprotected).equals(Buffer.from(data))).toBe(true);
    });

    it('when the same data is protected twice, should produce different payloads (random nonce)', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      expect(await protector.protect('same')).not.toBe(await protector.protect('same'));
    });

    it('when the purpose chain is built in steps, should equal the chain given at once', async () => {
      const { provider } = createEphemeralDataProtection();
      const payload = await provider.createProtector('a', 'b', 'c').protect('x');
      await expect(provider.createProtector('a').createProtector('b').createProtector('c').unprotect(payload)).resolves.toBe('x');
      expect(provider.createProtector('a').createProtector('b', 'c').purposes).toEqual(['a', 'b', 'c']);
    });
  });

  describe('unprotect failures', () => {
    it('when a ciphertext, tag or header byte is changed, should fail as tampered', async () => {
      const { provider } = createEphemeralDataProtection();
      const protector = provider.createProtector('tests');
      const payload = await protector.protect('secret data');
      const length = Buffer.from(payload, 'base64url').length;
      for (const index of [17, 30, length - 1]) {
        expect(await reasonOf(protector, flipByte(payload, index))).toBe('tampered-or-wrong-purpose');
      }
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
