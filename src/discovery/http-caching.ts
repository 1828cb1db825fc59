import type { AppConfig } from '../config/app-config';

/** Discovery changes only with scopes, claims or signing algorithms: an hour is safe. */
export const DISCOVERY_MAX_AGE_SECONDS = 3600;

/** Upper bound for JWKS caching even when keys rotate rarely. */
export const JWKS_MAX_AGE_CAP_SECONDS = 3600;

/**
 * How long relying parties may cache the JWKS. A new key is announced PROPAGATION_TIME before it
 * signs, and instances may lag by KEY_CACHE_DURATION (docs/deployment.md, "Signing keys"): a cached JWKS must expire
 * well inside what remains, or verifiers would meet tokens signed by a key they have not seen.
 */
export function jwksMaxAgeSeconds(keyManagement: AppConfig['keyManagement']): number {
  if (!keyManagement.enabled) return JWKS_MAX_AGE_CAP_SECONDS;
  const slackMs = Math.max(0, keyManagement.propagationTime - keyManagement.keyCacheDuration);
  return Math.min(JWKS_MAX_AGE_CAP_SECONDS, Math.floor(slackMs / 2 / 1000));
}

/** Entity tags are quoted strings (RFC 9110 §8.8.3); accept producers that hand back a bare value. */
export function quoteEntityTag(etag: string): string {
  return /^(W\/)?".*"$/.test(etag) ? etag : `"${etag}"`;
}

/** RFC 9110 §13.1.2 If-None-Match with weak comparison: `*` or any listed tag matches. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === wanted);
}
