import { createHmac } from 'node:crypto';

/** HMAC-SHA512 output: one PRF call yields this many bytes, so a 256-bit key costs one call. */
const PRF_OUTPUT_BYTES = 64;
const ZERO_SEPARATOR = Buffer.from([0]);

/**
 * NIST SP 800-108r1 §4.1 key derivation in counter mode with HMAC-SHA512 as the PRF, the KDF of
 * ASP.NET Core Data Protection (ManagedSP800_108_CTR_HMACSHA512): block i is
 * HMAC(kdk, [i]₃₂ ‖ label ‖ 0x00 ‖ context ‖ [L]₃₂), counter and output length L (in bits) as
 * 32-bit big-endian integers, the blocks concatenated and cut to `length` bytes.
 */
export function deriveKeySp800108HmacSha512(kdk: Uint8Array, label: Uint8Array, context: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length <= 0 || length > 0x1fffffff) throw new RangeError('SP 800-108: invalid output length');
  const lengthInBits = Buffer.alloc(4);
  lengthInBits.writeUInt32BE(length * 8);
  const blocks: Buffer[] = [];
  for (let counter = 1; blocks.length * PRF_OUTPUT_BYTES < length; counter += 1) {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    // One update of the joined input measured faster than five small updates.
    blocks.push(createHmac('sha512', kdk).update(Buffer.concat([counterBytes, label, ZERO_SEPARATOR, context, lengthInBits])).digest());
  }
  return (blocks.length === 1 ? blocks[0] : Buffer.concat(blocks)).subarray(0, length);
}
