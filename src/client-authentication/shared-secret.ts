import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientSecret, SharedSecret } from '../stores/models';

/** Compared against when the caller is unknown, so unknown and wrong secrets cost the same. */
const DUMMY_HASH = createHash('sha256').update('unknown-caller').digest();

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Whether `presented` matches one of the unexpired shared secrets. Only SHA-256 hashes are
 * compared, with timingSafeEqual, so neither length nor content leaks through timing.
 */
export function matchesSharedSecret(secrets: readonly ClientSecret[], presented: string, now: Date): boolean {
  const hash = sha256(presented);
  let matched = false;
  let compared = false;
  for (const secret of secrets) {
    if (!isSharedSecret(secret)) continue;
    compared = true;
    // Every candidate is compared (no early exit) so timing does not reveal which one matched.
    const equal = secret.sha256.length === hash.length && timingSafeEqual(secret.sha256, hash);
    if (equal && !isExpired(secret, now)) matched = true;
  }
  if (!compared) timingSafeEqual(DUMMY_HASH, hash);
  return matched;
}

/** Spends the same hashing and comparison work as a real check, for unknown callers. */
export function compareWithDummySecret(presented: string): void {
  timingSafeEqual(DUMMY_HASH, sha256(presented));
}

export function isSharedSecret(secret: ClientSecret): secret is SharedSecret {
  return secret.type === 'SharedSecret';
}

export function isExpired(secret: { readonly expiration?: Date }, now: Date): boolean {
  return secret.expiration !== undefined && secret.expiration.getTime() <= now.getTime();
}
