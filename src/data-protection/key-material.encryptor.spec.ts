import { randomBytes, randomUUID } from 'node:crypto';
import type { StoredDataProtectionKey } from './data-protection-key';
import { KeyMaterialDecryptionError, KeyMaterialEncryptor } from './key-material.encryptor';

async function stored(encryptor: KeyMaterialEncryptor, secret: Buffer, id = randomUUID()): Promise<StoredDataProtectionKey> {
  const now = new Date();
  return { id, creationDate: now, activationDate: now, expirationDate: now, revoked: false, ...await encryptor.encrypt(id, secret) };
}

async function decryptionMessage(encryptor: KeyMaterialEncryptor, key: StoredDataProtectionKey): Promise<string> {
  const error = await encryptor.decrypt(key).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KeyMaterialDecryptionError);
  return (error as Error).message;
}

describe('KeyMaterialEncryptor', () => {
  const secret = randomBytes(32);

  it('with a master key, should wrap the secret (never in clear) and unwrap it again', async () => {
    const encryptor = new KeyMaterialEncryptor(randomBytes(32), undefined);
    const key = await stored(encryptor, secret);
    expect(key.encryption).toBe('master-key');
    expect(key.keyMaterial).not.toContain(secret.toString('base64url'));
    expect((await encryptor.decrypt(key)).equals(secret)).toBe(true);
  });

  it('with another master key, should fail naming DATA_PROTECTION_MASTER_KEY and the key id', async () => {
    const key = await stored(new KeyMaterialEncryptor(randomBytes(32), undefined), secret);
    const message = await decryptionMessage(new KeyMaterialEncryptor(randomBytes(32), undefined), key);
    expect(message).toContain('DATA_PROTECTION_MASTER_KEY');
    expect(message).toContain(key.id);
  });

  it('without a master key, should refuse a wrapped secret naming DATA_PROTECTION_MASTER_KEY', async () => {
    const key = await stored(new KeyMaterialEncryptor(randomBytes(32), undefined), secret);
    expect(await decryptionMessage(new KeyMaterialEncryptor(undefined, undefined), key)).toMatch(/DATA_PROTECTION_MASTER_KEY is not set/);
  });

  it('when wrapped material is moved to another key id, should refuse it', async () => {
    const encryptor = new KeyMaterialEncryptor(randomBytes(32), undefined);
    const key = await stored(encryptor, secret);
    expect(await decryptionMessage(encryptor, { ...key, id: randomUUID() })).toMatch(/belongs to key/);
  });

  it('when the wrapped material is corrupted, should fail with a KeyMaterialDecryptionError', async () => {
    const encryptor = new KeyMaterialEncryptor(randomBytes(32), undefined);
    const key = await stored(encryptor, secret);
    const parts = key.keyMaterial.split('.');
    parts[3] = Buffer.from(randomBytes(32)).toString('base64url');
    await decryptionMessage(encryptor, { ...key, keyMaterial: parts.join('.') });
    await decryptionMessage(encryptor, { ...key, keyMaterial: 'not a jwe' });
  });

  it('with nothing configured, should store the secret as is (the module warns at start-up)', async () => {
    const encryptor = new KeyMaterialEncryptor(undefined, undefined);
    expect(encryptor.mode).toBe('none');
    const key = await stored(encryptor, secret);
    expect(key).toMatchObject({ encryption: 'none', keyMaterial: secret.toString('base64url') });
    expect((await encryptor.decrypt(key)).equals(secret)).toBe(true);
  });
});
