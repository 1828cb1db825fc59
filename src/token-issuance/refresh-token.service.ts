import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { PERSISTED_GRANT_TYPES, type Client, type PersistedGrant } from '../stores/models';
import { createTokenHandle, persistedGrantKey } from './token-handle';

/** What a refresh token stands for; kept data-protected in the persisted grant (SPEC §6). */
export interface RefreshTokenPayload {
  readonly v: 1;
  readonly subjectId: string;
  readonly clientId: string;
  /** granted scopes (offline_access included) */
  readonly scopes: readonly string[];
  readonly sessionId?: string;
  /** ms since epoch */
  readonly authTime?: number;
  readonly amr?: readonly string[];
  /** RFC 8707 resource the original grant was narrowed to */
  readonly resource?: string;
  /** all tokens rotated from one grant share this id (RFC 9700 §4.14 reuse detection) */
  readonly familyId: string;
  /** when the family began (ms): the absolute lifetime counts from here */
  readonly familyCreatedAt: number;
  /** ms */
  readonly createdAt: number;
}

export interface RefreshTokenRequest {
  readonly client: Client;
  readonly subjectId: string;
  readonly scopes: readonly string[];
  readonly sessionId?: string;
  readonly authTime?: Date;
  readonly amr?: readonly string[];
  readonly resource?: string;
  /** set when rotating: the new token joins the old one's family and keeps its absolute limit */
  readonly family?: { readonly familyId: string; readonly familyCreatedAt: number };
}

export interface StoredRefreshToken {
  readonly grant: PersistedGrant;
  readonly payload: RefreshTokenPayload;
}

/**
 * The expiry of a refresh token (pure): `absolute` counts from the start of the family;
 * `sliding` extends by the sliding lifetime on every use but never past the absolute limit
 * (an absolute lifetime of 0 means no limit, as in Duende).
 */
export function refreshTokenExpiration(
  client: Pick<Client, 'refreshTokenExpiration' | 'absoluteRefreshTokenLifetime' | 'slidingRefreshTokenLifetime'>,
  familyCreatedAt: number,
  now: number,
): number | undefined {
  const absolute = client.absoluteRefreshTokenLifetime > 0 ? familyCreatedAt + client.absoluteRefreshTokenLifetime * 1000 : undefined;
  if (client.refreshTokenExpiration === 'absolute') return absolute;
  const sliding = now + client.slidingRefreshTokenLifetime * 1000;
  return absolute === undefined ? sliding : Math.min(sliding, absolute);
}

/**
 * Refresh tokens: opaque handles (256 bits); the store keeps a hash of the handle and the payload
 * data-protected. The refresh_token grant builds rotation and reuse detection on `find`/`consume`.
 */
@Injectable()
export class RefreshTokenService {
  private readonly logger = new Logger(RefreshTokenService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.protector = dataProtection.createProtector('persisted-grant', PERSISTED_GRANT_TYPES.refreshToken);
  }

  /** Persists a new refresh token and returns its handle. */
  async createRefreshToken(request: RefreshTokenRequest): Promise<string> {
    const now = this.clock.now().getTime();
    const family = request.family ?? { familyId: randomBytes(16).toString('hex'), familyCreatedAt: now };
    const payload: RefreshTokenPayload = {
      v: 1,
      subjectId: request.subjectId,
      clientId: request.client.clientId,
      scopes: [...request.scopes],
      sessionId: request.sessionId,
      authTime: request.authTime?.getTime(),
      amr: request.amr ? [...request.amr] : undefined,
      resource: request.resource,
      familyId: family.familyId,
      familyCreatedAt: family.familyCreatedAt,
      createdAt: now,
    };
    const expiresAt = refreshTokenExpiration(request.client, family.familyCreatedAt, now);
    const handle = createTokenHandle();
    await this.grants.store({
      key: persistedGrantKey(handle, PERSISTED_GRANT_TYPES.refreshToken),
      type: PERSISTED_GRANT_TYPES.refreshToken,
      subjectId: request.subjectId,
      clientId: request.client.clientId,
      sessionId: request.sessionId,
      description: family.familyId,
      creationTime: new Date(now),
      expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
      data: await this.protector.protect(JSON.stringify(payload)),
    });
    return handle;
  }

  /**
   * Marks the token used (refreshTokenUsage oneTime). True only for the one caller that won: a
   * second use of the same handle, even in a race, gets false and counts as reuse.
   */
  consume(stored: StoredRefreshToken): Promise<boolean> {
    return this.grants.consume(stored.grant.key, this.clock.now());
  }

  /** refreshTokenUsage reuse + sliding: the same handle lives on, its expiry moves forward. */
  async slide(stored: StoredRefreshToken, client: Client): Promise<void> {
    const expiresAt = refreshTokenExpiration(client, stored.payload.familyCreatedAt, this.clock.now().getTime());
    await this.grants.store({ ...stored.grant, expiration: expiresAt === undefined ? undefined : new Date(expiresAt) });
  }

  /**
   * RFC 9700 §4.14.2: when a rotated refresh token comes back, the attacker or the client holds
   * a stale one — revoke every token of the family so neither can go on. Returns how many.
   */
  async revokeFamily(payload: Pick<RefreshTokenPayload, 'subjectId' | 'clientId' | 'familyId'>): Promise<number> {
    const grants = await this.grants.getAll({ subjectId: payload.subjectId, clientId: payload.clientId, type: PERSISTED_GRANT_TYPES.refreshToken });
    const family = grants.filter((grant) => grant.description === payload.familyId);
    for (const grant of family) await this.grants.remove(grant.key);
    return family.length;
  }

  /** The stored token for a handle, consumed or not (the caller decides about reuse); undefined when unknown or unreadable. */
  async find(handle: string): Promise<StoredRefreshToken | undefined> {
    const grant = await this.grants.get(persistedGrantKey(handle, PERSISTED_GRANT_TYPES.refreshToken));
    if (!grant || grant.type !== PERSISTED_GRANT_TYPES.refreshToken) return undefined;
    try {
      const payload = JSON.parse(await this.protector.unprotect(grant.data)) as RefreshTokenPayload;
      return payload.v === 1 ? { grant, payload } : undefined;
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.error(`refresh token of client ${grant.clientId} cannot be read: ${error.message}`);
      return undefined;
    }
  }
}
