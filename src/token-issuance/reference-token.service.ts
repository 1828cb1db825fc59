import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DataProtectionProvider, type DataProtector, UnprotectError } from '../data-protection/data-protector';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { PERSISTED_GRANT_TYPES, type PersistedGrant } from '../stores/models';
import type { AccessTokenClaims } from './access-token-claims';
import { createTokenHandle, persistedGrantKey } from './token-handle';

export interface StoredReferenceToken {
  readonly grant: PersistedGrant;
  readonly claims: AccessTokenClaims;
}

/**
 * Reference access tokens: the caller gets a random handle; the store keeps only its hash and
 * the claims encrypted by data protection (SPEC §6). The handle is never stored or logged.
 */
@Injectable()
export class ReferenceTokenService {
  private readonly logger = new Logger(ReferenceTokenService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.protector = dataProtection.createProtector('persisted-grant', PERSISTED_GRANT_TYPES.referenceToken);
  }

  /** Persists the claims and returns the new handle. */
  async create(claims: AccessTokenClaims): Promise<string> {
    const handle = createTokenHandle();
    const expiration = new Date(claims.exp * 1000);
    await this.grants.store({
      key: persistedGrantKey(handle, PERSISTED_GRANT_TYPES.referenceToken),
      type: PERSISTED_GRANT_TYPES.referenceToken,
      clientId: claims.client_id,
      subjectId: claims.sub,
      sessionId: claims.sid,
      creationTime: new Date(claims.iat * 1000),
      expiration,
      data: await this.protector.protect(JSON.stringify(claims), { expiresAt: expiration }),
    });
    return handle;
  }

  /** The token when it exists and has not expired; undefined otherwise (also when unreadable, logged). */
  async find(handle: string): Promise<StoredReferenceToken | undefined> {
    const grant = await this.grants.get(persistedGrantKey(handle, PERSISTED_GRANT_TYPES.referenceToken));
    if (!grant || grant.type !== PERSISTED_GRANT_TYPES.referenceToken) return undefined;
    const now = this.clock.now();
    if (grant.expiration && grant.expiration.getTime() <= now.getTime()) return undefined;
    if (grant.consumedTime) return undefined;
    try {
      const claims = JSON.parse(await this.protector.unprotect(grant.data)) as AccessTokenClaims;
      if (claims.exp * 1000 <= now.getTime()) return undefined;
      return { grant, claims };
    } catch (error) {
      if (error instanceof UnprotectError) {
        // SPEC §6: a clear error naming the key id; the token is simply not valid.
        this.logger.error(`reference token payload of client ${grant.clientId} cannot be unprotected (${error.reason}, key ${error.keyId ?? 'unknown'})`);
        return undefined;
      }
      throw error;
    }
  }

  async remove(grant: PersistedGrant): Promise<void> {
    await this.grants.remove(grant.key);
  }
}
