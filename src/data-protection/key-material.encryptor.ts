import { createHash, createHmac, createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import type { AppConfig } from '../config/app-config';
import type { KeyMaterialEncryption, StoredDataProtectionKey } from './data-protection-key';
import { StartupError } from '../common/startup-error';

/** A key that cannot be read back: start-up stops with this message (it names the setting to fix). */
export class KeyMaterialDecryptionError extends Error {
  constructor(message: string, readonly keyId: string) {
    super(message);
    this.name = 'KeyMaterialDecryptionError';
  }
}

/** A certificate setting that cannot be used; the message names the variable. */
export class DataProtectionCertificateError extends StartupError {
  constructor(message: string) {
    super(message, {
      setting: /^[A-Z_]+/.exec(message)?.[0] ?? 'DATA_PROTECTION_CERTIFICATE',
      fix: 'give a PEM certificate and its unencrypted PEM private key (content or path) that belong together, RSA or EC '
        + '(docs/settings.md#data-protection)',
    });
    this.name = 'DataProtectionCertificateError';
  }
}

/** A certificate with its private key, able to open envelopes made to it. */
export interface EnvelopeCertificate {
  /** SHA-256 thumbprint of the DER certificate, base64url (JOSE `x5t#S256`); the JWE `kid` */
  readonly thumbprint: string;
  readonly subject: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** RSA → RSA-OAEP-256; EC → ECDH-ES+A256KW (ephemeral-static ECDH, RFC 7518 §4.6) */
  readonly algorithm: 'RSA-OAEP-256' | 'ECDH-ES+A256KW';
}

/** Custom protected-header member binding the wrapped material to its key id (it is authenticated data). */
const KEY_ID_HEADER = 'dpk';
const CONTENT_ENCRYPTION = 'A256GCM';

function readPem(setting: string, value: string): string {
  // PEM content directly in the variable (literal "\n" allowed for one-line .env files), or a path.
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value, 'utf8');
  } catch (error) {
    throw new DataProtectionCertificateError(
      `${setting}: cannot read "${value}" (expected PEM content or a path to a PEM file): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Loads a certificate and its private key (PEM content or paths) and checks that they belong together. */
export function loadEnvelopeCertificate(setting: string, certificateValue: string, keyValue: string): EnvelopeCertificate {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(readPem(setting, certificateValue));
  } catch (error) {
    if (error instanceof DataProtectionCertificateError) throw error;
    throw new DataProtectionCertificateError(`${setting}: not a PEM X.509 certificate: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    privateKey = createPrivateKey(readPem(setting, keyValue));
  } catch (error) {
    if (error instanceof DataProtectionCertificateError) throw error;
    throw new DataProtectionCertificateError(`${setting}: the private key is not a readable unencrypted PEM key: ${error instanceof Error ? error.message : String(error)}`);
  }
  const spki = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
  if (!spki(createPublicKey(privateKey)).equals(spki(certificate.publicKey))) {
    throw new DataProtectionCertificateError(`${setting}: the private key does not belong to the certificate ${certificate.subject}`);
  }
  const type = certificate.publicKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') {
    throw new DataProtectionCertificateError(`${setting}: the certificate must hold an RSA or EC key, not ${type ?? 'an unknown key type'}`);
  }
  return {
    thumbprint: createHash('sha256').update(certificate.raw).digest('base64url'),
    subject: certificate.subject.replace(/\n/g, ', '),
    publicKey: certificate.publicKey,
    privateKey,
    algorithm: type === 'rsa' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW',
  };
}

/**
 * Parses DATA_PROTECTION_UNPROTECT_CERTIFICATES entries: each `CERT|KEY`, where CERT and KEY are
 * PEM file paths (or PEM content). They decrypt keys made under a previous certificate; never encrypt.
 */
export function loadUnprotectCertificates(entries: readonly string[]): EnvelopeCertificate[] {
  return entries.map((entry, index) => {
    const [certificate, key, ...rest] = entry.split('|').map((s) => s.trim());
    if (!certificate || !key || rest.length > 0) {
      throw new DataProtectionCertificateError(
        `DATA_PROTECTION_UNPROTECT_CERTIFICATES: entry ${index + 1} must be CERT_PATH|KEY_PATH (comma-separated list)`,
      );
    }
    return loadEnvelopeCertificate(`DATA_PROTECTION_UNPROTECT_CERTIFICATES (entry ${index + 1})`, certificate, key);
  });
}

/**
 * Encryption at rest of key-ring secrets (ASP.NET Core's XmlEncryptor/XmlDecryptor): a JWE
 * compact serialization per key, `A256GCMKW` under DATA_PROTECTION_MASTER_KEY or an envelope
 * to DATA_PROTECTION_CERTIFICATE; the key id travels in the authenticated header so a wrapped
 * secret cannot be moved to another key's record. Older certificates only decrypt.
 */
export class KeyMaterialEncryptor {
  private readonly masterKeyId?: string;

  constructor(
    private readonly masterKey: Buffer | undefined,
    private readonly certificate: EnvelopeCertificate | undefined,
    private readonly readOnlyCertificates: readonly EnvelopeCertificate[] = [],
  ) {
    // A fingerprint (not the key) tells "another master key" apart from "corrupted material".
    if (masterKey) this.masterKeyId = createHmac('sha256', masterKey).update('data-protection master key id').digest('base64url').slice(0, 16);
  }

  static fromConfig(config: AppConfig['dataProtection']): KeyMaterialEncryptor {
    const certificate = config.certificate !== undefined && config.certificateKey !== undefined
      ? loadEnvelopeCertificate('DATA_PROTECTION_CERTIFICATE', config.certificate, config.certificateKey)
      : undefined;
    return new KeyMaterialEncryptor(config.masterKey, certificate, loadUnprotectCertificates(config.unprotectCertificates));
  }

  /** How new keys are stored: the master key wins when both are configured. */
  get mode(): KeyMaterialEncryption {
    if (this.masterKey) return 'master-key';
    return this.certificate ? 'certificate' : 'none';
  }

  async encrypt(keyId: string, secret: Buffer): Promise<{ encryption: KeyMaterialEncryption; keyMaterial: string }> {
    if (this.masterKey && this.masterKeyId) {
      const keyMaterial = await new CompactEncrypt(secret)
        .setProtectedHeader({ alg: 'A256GCMKW', enc: CONTENT_ENCRYPTION, kid: this.masterKeyId, [KEY_ID_HEADER]: keyId })
        .encrypt(this.masterKey);
      return { encryption: 'master-key', keyMaterial };
    }
    if (this.certificate) {
      const keyMaterial = await new CompactEncrypt(secret)
        .setProtectedHeader({
          alg: this.certificate.algorithm, enc: CONTENT_ENCRYPTION, kid: this.certificate.thumbprint,
          'x5t#S256': this.certificate.thumbprint, [KEY_ID_HEADER]: keyId,
        })
        .encrypt(this.certificate.publicKey);
      return { encryption: 'certificate', keyMaterial };
    }
    return { encryption: 'none', keyMaterial: secret.toString('base64url') };
  }

  /** Throws KeyMaterialDecryptionError naming the key id and the setting that would open it. */
  async decrypt(key: StoredDataProtectionKey): Promise<Buffer> {
    if (key.encryption === 'none') {
      const secret = Buffer.from(key.keyMaterial, 'base64url');
      if (secret.length === 0) throw new KeyMaterialDecryptionError(`Data-protection key ${key.id} has no key material`, key.id);
      return secret;
    }
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(key.keyMaterial).kid;
    } catch (error) {
      throw new KeyMaterialDecryptionError(`Data-protection key ${key.id}: the encrypted key material is malformed (${describe(error)})`, key.id);
    }
    if (key.encryption === 'master-key') return this.decryptWithMasterKey(key, kid);
    if (key.encryption === 'certificate') return this.decryptWithCertificate(key, kid);
    throw new KeyMaterialDecryptionError(`Data-protection key ${key.id}: unknown encryption "${String(key.encryption)}"`, key.id);
  }

  private async decryptWithMasterKey(key: StoredDataProtectionKey, kid: string | undefined): Promise<Buffer> {
    if (!this.masterKey) {
      throw new KeyMaterialDecryptionError(
        `Data-protection key ${key.id} is encrypted with a master key, but DATA_PROTECTION_MASTER_KEY is not set`, key.id);
    }
    if (kid !== this.masterKeyId) {
      throw new KeyMaterialDecryptionError(
        `DATA_PROTECTION_MASTER_KEY cannot decrypt data-protection key ${key.id}: it was encrypted with a different master key`, key.id);
    }
    return this.open(key, this.masterKey, ['A256GCMKW'], 'DATA_PROTECTION_MASTER_KEY');
  }

  private async decryptWithCertificate(key: StoredDataProtectionKey, kid: string | undefined): Promise<Buffer> {
    const certificate = [this.certificate, ...this.readOnlyCertificates].find((c) => c?.thumbprint === kid);
    if (!certificate) {
      throw new KeyMaterialDecryptionError(
        `Data-protection key ${key.id} is encrypted to the certificate with SHA-256 thumbprint ${kid ?? '(none)'}, which is neither `
        + 'DATA_PROTECTION_CERTIFICATE nor listed in DATA_PROTECTION_UNPROTECT_CERTIFICATES', key.id);
    }
    return this.open(key, certificate.privateKey, [certificate.algorithm], `the certificate ${certificate.subject}`);
  }

  private async open(key: StoredDataProtectionKey, decryptionKey: KeyObject | Buffer, algorithms: string[], what: string): Promise<Buffer> {
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(key.keyMaterial, decryptionKey, {
        keyManagementAlgorithms: algorithms,
        contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
      });
      if (protectedHeader[KEY_ID_HEADER] !== key.id) {
        throw new Error(`the material belongs to key ${String(protectedHeader[KEY_ID_HEADER])}`);
      }
      return Buffer.from(plaintext);
    } catch (error) {
      throw new KeyMaterialDecryptionError(`${what} cannot decrypt data-protection key ${key.id}: ${describe(error)}`, key.id);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
