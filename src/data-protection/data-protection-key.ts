/**
 * One key of the data-protection key ring (ASP.NET Core Data Protection's `IKey`): a random
 * master secret from which every protector derives its own subkey. Dates bound when the key
 * may be the default for protecting; it unprotects as long as it exists and is not revoked.
 */
export interface DataProtectionKeyMetadata {
  /** a UUID; the payload header carries its 16 bytes */
  readonly id: string;
  readonly creationDate: Date;
  /** from this instant the key may become the default protection key */
  readonly activationDate: Date;
  /** after this instant the key no longer protects new data (it still unprotects) */
  readonly expirationDate: Date;
  readonly revoked: boolean;
}

/** How the key material is stored: in clear, wrapped by the master key, or enveloped to a certificate. */
export type KeyMaterialEncryption = 'none' | 'master-key' | 'certificate';

/** Whether a value read back from a store names one of our encryption modes. */
export function isKeyMaterialEncryption(value: unknown): value is KeyMaterialEncryption {
  return value === 'none' || value === 'master-key' || value === 'certificate';
}

/** A key as the stores persist it: metadata in clear, key material encrypted (unless 'none'). */
export interface StoredDataProtectionKey extends DataProtectionKeyMetadata {
  readonly encryption: KeyMaterialEncryption;
  /** 'none': base64url of the secret; otherwise a JWE compact serialization of it */
  readonly keyMaterial: string;
}

/** A key as the ring holds it in memory: the secret decrypted. Never logged, never serialised. */
export interface DataProtectionKey extends DataProtectionKeyMetadata {
  readonly secret: Buffer;
}

/** Bytes of a key's secret (AES-256 strength for HKDF input). */
export const KEY_SECRET_BYTES = 32;
