import { createHash, randomBytes } from 'node:crypto';

const HANDLE_BYTES = 32;
/** Random bytes drawn from the CSPRNG in one call per 128 handles (like randomUUID's cache). */
const POOL_BYTES = HANDLE_BYTES * 128;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** 256 random bits, base64url: the opaque handle of reference and refresh tokens (docs/endpoints.md). */
export function createTokenHandle(): string {
  // Hot path (every reference token): one CSPRNG call per request showed in profiles.
  if (poolOffset + HANDLE_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const end = poolOffset + HANDLE_BYTES;
  const handle = pool.toString('base64url', poolOffset, end);
  // Handed-out bytes do not linger in memory.
  pool.fill(0, poolOffset, end);
  poolOffset = end;
  return handle;
}

/**
 * The persisted-grant key for a handle: SHA-256 of handle and grant type (as Duende does), so
 * the store never holds the handle itself (docs/deployment.md) and a handle of one type never finds another.
 */
export function persistedGrantKey(handle: string, type: string): string {
  return createHash('sha256').update(`${handle}:${type}`, 'utf8').digest('base64url');
}
