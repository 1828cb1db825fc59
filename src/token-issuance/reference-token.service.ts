import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Clock } from '../common/clock';
import { DataProtectionProvider } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ProtectedGrantStore } from '../stores/protected-grant.store';
import { PERSISTED_GRANT_TYPES, type PersistedGrant } from '../stores/models';
import type { AccessTokenClaims } from './access-token-claims';
import { createTokenHandle, persistedGrantKey } from './token-handle';

/** The claims docs/endpoints.md requires of an access token; any further (custom) claims pass through. */
export const referenceTokenClaimsSchema: z.ZodType<AccessTokenClaims, z.ZodTypeDef, unknown> = z.object({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]).optional(),
  client_id: z.string(),
  scope: z.string(),
  sub: z.string().optional(),
  exp: z.number(),
  iat: z.number(),
  nbf: z.number(),
  jti: z.string(),
  auth_time: z.number().optional(),
  idp: z.string().optional(),
  amr: z.array(z.string()).optional(),
  sid: z.string().optional(),
}).passthrough();

const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string';
const isOptionalNumber = (value: unknown) => value === undefined || (typeof value === 'number' && Number.isFinite(value));

/**
 * The same rules as referenceTokenClaimsSchema, checked without building a copy (introspection
 * reads one per request): whatever this refuses is left to the schema, so it may only be stricter.
 */
export function isReferenceTokenClaims(value: unknown): value is AccessTokenClaims {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const claims = value as Record<string, unknown>;
  const { aud, amr } = claims;
  return typeof claims.iss === 'string' && typeof claims.client_id === 'string' && typeof claims.scope === 'string'
    && typeof claims.jti === 'string' && isOptionalString(claims.sub) && isOptionalString(claims.idp) && isOptionalString(claims.sid)
    && typeof claims.exp === 'number' && Number.isFinite(claims.exp) && typeof claims.iat === 'number' && Number.isFinite(claims.iat)
    && typeof claims.nbf === 'number' && Number.isFinite(claims.nbf) && isOptionalNumber(claims.auth_time)
    && (aud === undefined || typeof aud === 'string' || (Array.isArray(aud) && aud.every((entry) => typeof entry === 'string')))
    && (amr === undefined || (Array.isArray(amr) && amr.every((entry) => typeof entry === 'string')));
}

export interface StoredReferenceToken {
  readonly grant: PersistedGrant;
  readonly claims: AccessTokenClaims;
}

/**
 * Reference access tokens: the caller gets a random handle; the store keeps only its hash and
 * the claims encrypted by data protection (docs/deployment.md). The handle is never stored or logged.
 */
@Injectable()
export class ReferenceTokenService {
  private readonly tokens: ProtectedGrantStore<AccessTokenClaims>;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.tokens = new ProtectedGrantStore(grants, dataProtection, {
      type: PERSISTED_GRANT_TYPES.referenceToken,
      purpose: DATA_PROTECTION_PURPOSES.referenceToken,
      schema: referenceTokenClaimsSchema,
      accepts: isReferenceTokenClaims,
    });
  }

  /** Persists the claims and returns the new handle. */
  async create(claims: AccessTokenClaims): Promise<string> {
    const handle = createTokenHandle();
    const expiration = new Date(claims.exp * 1000);
    await this.tokens.store({
      key: persistedGrantKey(handle, PERSISTED_GRANT_TYPES.referenceToken),
      clientId: claims.client_id,
      subjectId: claims.sub,
      sessionId: claims.sid,
      creationTime: new Date(claims.iat * 1000),
      expiration,
    }, claims, { expiresAt: expiration });
    return handle;
  }

  /** The token when it exists and has not expired; undefined otherwise (also when unreadable, logged). */
  async find(handle: string): Promise<StoredReferenceToken | undefined> {
    const now = this.clock.now().getTime();
    // Expired or revoked tokens are refused on the clear metadata, before any unprotect.
    const live = (grant: PersistedGrant) => !grant.consumedTime && (!grant.expiration || grant.expiration.getTime() > now);
    const stored = await this.tokens.get(persistedGrantKey(handle, PERSISTED_GRANT_TYPES.referenceToken), live);
    if (!stored || stored.payload.exp * 1000 <= now) return undefined;
    return { grant: stored.grant, claims: stored.payload };
  }

  async remove(grant: PersistedGrant): Promise<void> {
    await this.grants.remove(grant.key);
  }
}
