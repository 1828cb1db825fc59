import { Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Clock } from '../common/clock';
import type { DataProtectionKey } from './data-protection-key';
import { DataProtector, UnprotectError, type ProtectOptions, type UnprotectFailure } from './data-protector';
import type { KeyRingService } from './key-ring.service';
import { deriveKeySp800108HmacSha512 } from './sp800-108.kdf';

/**
 * Payload formats (base64url of the bytes below). The version byte chooses the layout; the key id
 * is always bytes 1..16. Everything before the nonce is the header, authenticated as GCM
 * additional data. The plaintext starts with a flags byte and, when flag 1 is set, the expiry as
 * 8 bytes of big-endian milliseconds since the epoch.
 *
 * Version 2 (written): [0x02][key id 16][key modifier 16][nonce 12][ciphertext][GCM tag 16]
 *   Every payload has its own AES-256 key (ASP.NET Core's key modifier scheme):
 *   key = SP 800-108 counter-mode HMAC-SHA512 (sp800-108.kdf.ts) with
 *     kdk = the ring key's secret, label = KDF_LABEL_V2 ‖ application name ‖ purposes (each
 *     length-prefixed), context = the key modifier (128 random bits, fresh per protect).
 *   A key then encrypts one message, so the NIST SP 800-38D §8.3 bound of 2^32 random nonces per
 *   key (about 550 protects/s over a 90-day key life under one subkey) no longer applies.
 * Version 1 (read only, payloads made before version 2): [0x01][key id 16][nonce 12][ciphertext][tag 16]
 *   key = HKDF-SHA256 (RFC 5869) of the secret with info = KDF_LABEL_V1 ‖ application name ‖
 *   purposes, one key per (ring key, purpose chain), cached by the ring.
 */
export const PAYLOAD_VERSION = 0x02;
const LEGACY_PAYLOAD_VERSION = 0x01;
const KEY_ID_BYTES = 16;
const KEY_MODIFIER_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AES_256_KEY_BYTES = 32;
const FLAG_EXPIRES = 0x01;
/** Domain separation of the KDF input from any other use of the key secrets, one per format. */
const KDF_LABEL_V1 = 'identity-server/data-protection/v1';
const KDF_LABEL_V2 = 'identity-server/data-protection/v2';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** How one format version finds its header and its AES key. */
interface PayloadFormat {
  readonly headerBytes: number;
  encryptionKey(key: DataProtectionKey, header: Buffer): Buffer;
}

function uuidToBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Length-prefixed so that ("ab","c") and ("a","bc") derive different keys. */
function encodeContext(parts: readonly string[]): Buffer {
  return Buffer.concat(parts.flatMap((part) => {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return [length, bytes];
  }));
}

/**
 * AES-256-GCM protector for one purpose chain (ASP.NET Core's IDataProtector with the
 * authenticated encryptor): the application name and purposes enter the key derivation, so a
 * payload made under another application name or purpose fails authentication like tampering.
 */
export class AesGcmDataProtector extends DataProtector {
  private readonly logger = new Logger('DataProtection');
  /** the format new payloads are written in */
  private readonly current: PayloadFormat;
  /** every format a payload may be read in, by version byte */
  private readonly formats: ReadonlyMap<number, PayloadFormat>;

  constructor(
    private readonly ring: KeyRingService,
    private readonly clock: Clock,
    readonly purposes: readonly string[],
  ) {
    super();
    // ASP.NET Core refuses empty purposes too: an empty string would blur two purpose chains.
    if (purposes.length === 0 || purposes.some((p) => typeof p !== 'string' || p.length === 0)) {
      throw new Error('Data-protection purposes must be non-empty strings');
    }
    const chain = encodeContext([ring.applicationName, ...purposes]);
    const label = Buffer.concat([Buffer.from(KDF_LABEL_V2), chain]);
    const legacyContext = Buffer.concat([Buffer.from(KDF_LABEL_V1), chain]);
    const legacyContextId = legacyContext.toString('base64');
    this.current = {
      headerBytes: 1 + KEY_ID_BYTES + KEY_MODIFIER_BYTES,
      // One HMAC per payload and nothing to cache: a modifier is never seen twice.
      encryptionKey: (key, header) => deriveKeySp800108HmacSha512(key.secret, label, header.subarray(1 + KEY_ID_BYTES), AES_256_KEY_BYTES),
    };
    this.formats = new Map<number, PayloadFormat>([
      [PAYLOAD_VERSION, this.current],
      [LEGACY_PAYLOAD_VERSION, {
        headerBytes: 1 + KEY_ID_BYTES,
        encryptionKey: (key) => ring.subkey(key, legacyContext, legacyContextId),
      }],
    ]);
  }

  createProtector(purpose: string, ...subPurposes: string[]): DataProtector {
    return new AesGcmDataProtector(this.ring, this.clock, [...this.purposes, purpose, ...subPurposes]);
  }

  async protect(plaintext: string | Uint8Array, options: ProtectOptions = {}): Promise<string> {
    const key = await this.ring.defaultKey();
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : Buffer.from(plaintext);
    let prefix = Buffer.from([0]);
    if (options.expiresAt) {
      if (!Number.isFinite(options.expiresAt.getTime())) throw new Error('ProtectOptions.expiresAt is not a valid date');
      prefix = Buffer.alloc(9);
      prefix[0] = FLAG_EXPIRES;
      prefix.writeBigInt64BE(BigInt(options.expiresAt.getTime()), 1);
    }
    // One call for both random values: a randomBytes call costs about as much as the KDF.
    const random = randomBytes(KEY_MODIFIER_BYTES + NONCE_BYTES);
    const header = Buffer.concat([Buffer.from([PAYLOAD_VERSION]), uuidToBytes(key.id), random.subarray(0, KEY_MODIFIER_BYTES)]);
    const nonce = random.subarray(KEY_MODIFIER_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.encryptionKey(key, header), nonce);
    cipher.setAAD(header);
    const ciphertext = Buffer.concat([cipher.update(prefix), cipher.update(data), cipher.final()]);
    return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  async unprotect(payload: string): Promise<string> {
    return Buffer.from(await this.unprotectBytes(payload)).toString('utf8');
  }

  async unprotectBytes(payload: string): Promise<Uint8Array> {
    const bytes = typeof payload === 'string' && BASE64URL.test(payload) ? Buffer.from(payload, 'base64url') : Buffer.alloc(0);
    const format = bytes.length > 0 ? this.formats.get(bytes[0]) : undefined;
    if (!format || bytes.length < format.headerBytes + NONCE_BYTES + 1 + TAG_BYTES) {
      throw this.fail('malformed', 'The protected payload is malformed or of an unknown format version.');
    }
    const header = bytes.subarray(0, format.headerBytes);
    const keyId = bytesToUuid(bytes.subarray(1, 1 + KEY_ID_BYTES));
    const lookup = await this.ring.lookup(keyId);
    if (!lookup.found) {
      if (lookup.reason === 'key-revoked') throw this.fail('key-revoked', `The key ${keyId} has been revoked.`, keyId);
      throw this.fail('key-not-found', `The key ${keyId} was not found in the key ring.`, keyId);
    }
    const nonce = bytes.subarray(format.headerBytes, format.headerBytes + NONCE_BYTES);
    const ciphertext = bytes.subarray(format.headerBytes + NONCE_BYTES, bytes.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', format.encryptionKey(lookup.key, header), nonce);
      decipher.setAAD(header);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw this.fail('tampered-or-wrong-purpose',
        `The payload protected with key ${keyId} was tampered with or made for another purpose or application (${reason}).`, keyId);
    }
    const flags = plaintext[0];
    if (flags === FLAG_EXPIRES) {
      if (plaintext.length < 9) throw this.fail('malformed', 'The protected payload is malformed.', keyId);
      const expiresAt = Number(plaintext.readBigInt64BE(1));
      if (this.clock.now().getTime() >= expiresAt) {
        throw this.fail('expired', `The payload protected with key ${keyId} expired at ${new Date(expiresAt).toISOString()}.`, keyId);
      }
      return plaintext.subarray(9);
    }
    if (flags !== 0) throw this.fail('malformed', 'The protected payload has unknown flags.', keyId);
    return plaintext.subarray(1);
  }

  /** Logs the failure (with key id and purpose, never the payload) and builds the typed error. */
  private fail(reason: UnprotectFailure, message: string, keyId?: string): UnprotectError {
    const purpose = this.purposes.join(' > ');
    // Expiry is an ordinary outcome (e.g. an old cookie) and junk input is anyone's to send; a key
    // problem or a failed authentication points at the deployment (docs/deployment.md: logged naming the key).
    if (reason === 'expired') this.logger.debug(`${message} Purpose: ${purpose}`);
    else if (reason === 'malformed') this.logger.warn(`${message} Purpose: ${purpose}`);
    else this.logger.error(`${message} Purpose: ${purpose}`);
    return new UnprotectError(reason, message, keyId);
  }
}
