import { createHash } from 'node:crypto';

/** What a ring is identified by: the ids of its keys and when each was made. */
export interface KeyRingEntry {
  readonly id: string;
  readonly creationDate: Date;
}

/** The key-ring id of a ring with no key yet (a read-only reader of an empty store). */
export const EMPTY_KEY_RING_ID = 'empty';

/**
 * A short fingerprint that two instances share exactly when they read the same data-protection
 * key ring: the first 16 hex digits of SHA-256 over the id of the ring's oldest key (earliest
 * creation, then smallest id). Key ids are random UUIDs, so two rings never share their first
 * key; and the oldest key is the one thing a ring never changes: new keys are added after it and
 * keys are revoked, not removed. A fingerprint over every id would differ for up to a refresh
 * period each time a key is added, and report instances of one ring as disagreeing.
 */
export function keyRingIdOf(keys: readonly KeyRingEntry[]): string {
  if (keys.length === 0) return EMPTY_KEY_RING_ID;
  const oldest = [...keys].sort((a, b) => a.creationDate.getTime() - b.creationDate.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  return createHash('sha256').update(oldest.id, 'utf8').digest('hex').slice(0, 16);
}
