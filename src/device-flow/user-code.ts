import { randomInt } from 'node:crypto';

/**
 * RFC 8628 §6.1: base-20 consonants — no vowels (no accidental words), no look-alikes such as
 * 0/O or 1/I/L — so a code read off a TV screen is easy to type and hard to mistype.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

/** A new user code `XXXX-XXXX` (8 × log2(19) ≈ 34 bits; brute force is bounded by its lifetime). */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return formatUserCode(code);
}

function formatUserCode(chars: string): string {
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}

/**
 * What the user typed → the stored form, or undefined when it cannot be a user code.
 * RFC 8628 §6.1: ignore case, spaces and dashes so "bcdf ghjk" matches "BCDF-GHJK".
 */
export function normalizeUserCode(input: string): string | undefined {
  const chars = input.toUpperCase().replace(/[\s-]/g, '');
  if (chars.length !== USER_CODE_LENGTH) return undefined;
  for (const c of chars) if (!USER_CODE_ALPHABET.includes(c)) return undefined;
  return formatUserCode(chars);
}
