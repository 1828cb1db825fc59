import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A password kept only as its scrypt hash; the parameters travel with it so they can change later. */
export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly cost: number;
  readonly blockSize: number;
  readonly parallelization: number;
}

// Node's default scrypt cost (N=2^14, r=8, p=1): about 16 MiB and tens of milliseconds per check.
const COST = 16_384;
const BLOCK_SIZE = 8;
const PARALLELIZATION = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, options: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_LENGTH);
  const options = { N: COST, r: BLOCK_SIZE, p: PARALLELIZATION };
  const hash = await derive(password, salt, options, KEY_LENGTH);
  return { algorithm: 'scrypt', salt, hash, cost: COST, blockSize: BLOCK_SIZE, parallelization: PARALLELIZATION };
}

/** Whether the password matches, compared in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, {
    N: stored.cost, r: stored.blockSize, p: stored.parallelization,
  }, stored.hash.length);
  return timingSafeEqual(candidate, stored.hash);
}

/**
 * A hash no password matches (random salt and digest), with the same parameters as real ones:
 * checking an unknown username against it costs as much as checking a known one.
 */
export function unmatchablePasswordHash(): PasswordHash {
  return {
    algorithm: 'scrypt',
    salt: randomBytes(SALT_LENGTH),
    hash: randomBytes(KEY_LENGTH),
    cost: COST,
    blockSize: BLOCK_SIZE,
    parallelization: PARALLELIZATION,
  };
}
