import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: the opaque handle of reference and refresh tokens (SPEC §5). */
export function createTokenHandle(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The persisted-grant key for a handle: SHA-256 of handle and grant type (as Duende does), so
 * the store never holds the handle itself (SPEC §6) and a handle of one type never finds another.
 */
export function persistedGrantKey(handle: string, type: string): string {
  return createHash('sha256').update(`${handle}:${type}`, 'utf8').digest('base64url');
}
