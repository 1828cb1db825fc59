import { Logger } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Clock } from '../common/clock';
import { DataProtector, UnprotectError, type ProtectOptions, type UnprotectFailure } from './data-protector';
import type { KeyRingService } from './key-ring.service';

/**
 * Payload (base64url): [version 1 byte][key id 16][nonce 12][ciphertext][GCM tag 16]. The
 * version and key id are authenticated as additional data; the plaintext starts with a flags
 * byte and, when flag 1 is set, the expiry as 8 bytes of big-endian milliseconds since the epoch.
 */
export const PAYLOAD_VERSION = 0x01;
const KEY_ID_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;
const MIN_PAYLOAD_BYTES = HEADER_BYTES + NONCE_BYTES + 1 + TAG_BYTES;
const FLAG_EXPIRES = 0x01;
/** Domain separation of the HKDF info from any other use of the key secrets. */
const KDF_LABEL = 'identity-server/data-protection/v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function uuidToBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Length-prefixed so that ("ab","c") and ("a","bc") derive different subkeys. */
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
 * authenticated encryptor): the subkey is HKDF(key secret, application name + purposes), so a
 * payload made under another application name or purpose fails authentication like tampering.
 */
export class AesGcmDataProtector extends DataProtector {
  private readonly logger = new Logger('DataProtection');
  private readonly context: Buffer;
  private readonly contextId: string;

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
    this.context = Buffer.concat([Buffer.from(KDF_LABEL), encodeContext([ring.applicationName, ...purposes])]);
    this.contextId = this.context.toString('base64');
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
    const header = Buffer.concat([Buffer.from([PAYLOAD_VERSION]), uuidToBytes(key.id)]);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.ring.subkey(key, this.context, this.contextId), nonce);
    cipher.setAAD(header);
    const ciphertext = Buffer.concat([cipher.update(prefix), cipher.update(data), cipher.final()]);
    return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  async unprotect(payload: string): Promise<string> {
    return Buffer.from(await this.unprotectBytes(payload)).toString('utf8');
  }

  async unprotectBytes(payload: string): Promise<Uint8Array> {
    const bytes = typeof payload === 'string' && BASE64URL.test(payload) ? Buffer.from(payload, 'base64url') : Buffer.alloc(0);
    if (bytes.length < MIN_PAYLOAD_BYTES || bytes[0] !== PAYLOAD_VERSION) {
      throw this.fail('malformed', 'The protected payload is malformed or of an unknown format version.');
    }
    const header = bytes.subarray(0, HEADER_BYTES);
    const keyId = bytesToUuid(bytes.subarray(1, HEADER_BYTES));
    const lookup = await this.ring.lookup(keyId);
    if (!lookup.found) {
      if (lookup.reason === 'key-revoked') throw this.fail('key-revoked', `The key ${keyId} has been revoked.`, keyId);
      throw this.fail('key-not-found', `The key ${keyId} was not found in the key ring.`, keyId);
    }
    const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const ciphertext = bytes.subarray(HEADER_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.ring.subkey(lookup.key, this.context, this.contextId), nonce);
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
    // problem or a failed authentication points at the deployment (SPEC §6: logged naming the key).
    if (reason === 'expired') this.logger.debug(`${message} Purpose: ${purpose}`);
    else if (reason === 'malformed') this.logger.warn(`${message} Purpose: ${purpose}`);
    else this.logger.error(`${message} Purpose: ${purpose}`);
    return new UnprotectError(reason, message, keyId);
  }
}
