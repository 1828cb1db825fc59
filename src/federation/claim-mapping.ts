import type { ClaimValue } from '../stores/models';

/**
 * The local claims of an external user: for each `claimMappings` entry (local name → the
 * provider's name), the provider's value when it is a string, number, boolean or list of strings.
 * Nothing else is taken from the provider.
 */
export function mapClaims(
  external: Readonly<Record<string, unknown>>, mappings: Readonly<Record<string, string>>,
): Record<string, ClaimValue> {
  const claims: Record<string, ClaimValue> = {};
  for (const [local, remote] of Object.entries(mappings)) {
    const value = external[remote];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') claims[local] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) claims[local] = [...value];
  }
  return claims;
}

/** RFC 8176 `amr` of the provider's id token, or `external` when it sends none. */
export function externalAmr(external: Readonly<Record<string, unknown>>): string[] {
  const amr = external.amr;
  if (Array.isArray(amr) && amr.length > 0 && amr.every((item) => typeof item === 'string')) return [...amr];
  return ['external'];
}

/** A name for the session and the pages: the mapped name, else the provider's usual ones, else its subject. */
export function displayNameOf(claims: Readonly<Record<string, ClaimValue>>, external: Readonly<Record<string, unknown>>, subject: string): string {
  for (const candidate of [claims.name, external.name, external.preferred_username, external.email]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate;
  }
  return subject;
}
