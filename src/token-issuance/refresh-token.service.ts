import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Clock } from '../common/clock';
import { DataProtectionProvider } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ProtectedGrantStore } from '../stores/protected-grant.store';
import { PERSISTED_GRANT_TYPES, type Client, type PersistedGrant } from '../stores/models';
import { createTokenHandle, persistedGrantKey } from './token-handle';

/** What a refresh token stands for; kept data-protected in the persisted grant (docs/deployment.md). */
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
  /** the external provider's scheme; absent: local */
  readonly idp?: string;
  /** RFC 8707 resource the original grant was narrowed to */
  readonly resource?: string;
  /** all tokens rotated from one grant share this id (RFC 9700 §4.14 reuse detection) */
  readonly familyId: string;
  /** when the family began (ms): the absolute lifetime counts from here */
  readonly familyCreatedAt: number;
  /** ms */
  readonly createdAt: number;
  /**
   * The handle this token was rotated into, recorded (protected with the rest) when it was spent
   * by a client with a refreshTokenReuseInterval: presented again within the interval, it answers
   * with this same successor.
   */
  readonly successor?: string;
}

const refreshTokenPayloadSchema: z.ZodType<RefreshTokenPayload, z.ZodTypeDef, unknown> = z.object({
  v: z.literal(1),
  subjectId: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  sessionId: z.string().optional(),
  authTime: z.number().optional(),
  amr: z.array(z.string()).optional(),
  idp: z.string().optional(),
  resource: z.string().optional(),
  familyId: z.string(),
  familyCreatedAt: z.number(),
  createdAt: z.number(),
  successor: z.string().optional(),
});

export interface RefreshTokenRequest {
  readonly client: Client;
  readonly subjectId: string;
  readonly scopes: readonly string[];
  readonly sessionId?: string;
  readonly authTime?: Date;
  readonly amr?: readonly string[];
  readonly idp?: string;
  readonly resource?: string;
}

export type OneTimeRotation =
  | { readonly outcome: 'rotated'; readonly handle: string }
  /** the token had been spent already (a replay, or the losing side of a race): the family is revoked */
  | { readonly outcome: 'reused' }
  /** the family was revoked by a racing request meanwhile: the successor was withdrawn */
  | { readonly outcome: 'family-revoked' };

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
 * The successor a spent refresh token answers with when presented again (pure): only for a
 * oneTime client with a refreshTokenReuseInterval, within that many seconds of the rotation, and
 * when the rotation recorded it. Otherwise undefined: the presentation is reuse.
 */
export function successorWithinReuseInterval(
  stored: StoredRefreshToken, client: Pick<Client, 'refreshTokenUsage' | 'refreshTokenReuseInterval'>, now: Date,
): string | undefined {
  const { consumedTime } = stored.grant;
  const interval = client.refreshTokenReuseInterval;
  if (client.refreshTokenUsage !== 'oneTime' || !(interval > 0) || !consumedTime) return undefined;
  if (now.getTime() >= consumedTime.getTime() + interval * 1000) return undefined;
  return stored.payload.successor;
}

/**
 * How much later than the revoking instance's clock another instance may stamp a member it issues
 * concurrently; the revocation marker outlives the family's tokens by this much.
 */
export const FAMILY_REVOCATION_CLOCK_MARGIN_MS = 5 * 60 * 1000;

/**
 * Until when a revoked family's marker must stay (pure): as long as any member, stored or about to
 * be, could still be valid. Undefined when a member may never expire (absolute lifetime 0).
 */
export function familyRevocationExpiration(
  client: Pick<Client, 'refreshTokenExpiration' | 'absoluteRefreshTokenLifetime' | 'slidingRefreshTokenLifetime'>,
  familyCreatedAt: number,
  now: number,
  memberExpirations: readonly (Date | undefined)[],
): number | undefined {
  const latest = [refreshTokenExpiration(client, familyCreatedAt, now), ...memberExpirations.map((date) => date?.getTime())];
  if (latest.some((expiration) => expiration === undefined)) return undefined;
  return Math.max(...latest.map((expiration) => expiration ?? 0)) + FAMILY_REVOCATION_CLOCK_MARGIN_MS;
}

/** The key of a family's revocation marker: one per family, found without knowing any handle. */
export function familyRevocationKey(familyId: string): string {
  return createHash('sha256').update(`${familyId}:${PERSISTED_GRANT_TYPES.refreshTokenFamilyRevocation}`, 'utf8').digest('base64url');
}

/**
 * The stored "family F revoked" marker (pure): kept until no member, stored or about to be, could
 * still be valid (familyRevocationExpiration).
 */
function familyRevocationMarker(
  client: Client,
  family: { readonly familyId: string; readonly familyCreatedAt: number; readonly subjectId: string },
  now: Date,
  memberExpirations: readonly (Date | undefined)[],
): PersistedGrant {
  const expiration = familyRevocationExpiration(client, family.familyCreatedAt, now.getTime(), memberExpirations);
  return {
    key: familyRevocationKey(family.familyId),
    type: PERSISTED_GRANT_TYPES.refreshTokenFamilyRevocation,
    subjectId: family.subjectId,
    clientId: client.clientId,
    familyId: family.familyId,
    creationTime: now,
    expiration: expiration === undefined ? undefined : new Date(expiration),
    // The marker's meaning is its existence; it holds nothing to protect.
    data: '',
  };
}

/**
 * Refresh tokens: opaque handles (256 bits); the store keeps a hash of the handle and the payload
 * data-protected. The refresh_token grant builds rotation and reuse detection on `find` and
 * `rotateOneTime`.
 *
 * RFC 9700 §4.14.2 family revocation is a marker, not only deletions: "family F revoked" is
 * stored first, and both lookup (`find`) and rotation (`rotateOneTime`, after storing the
 * successor) look for it. Whatever the interleaving of a race's loser revoking and its winner
 * rotating, the winner either sees the marker and withdraws its successor, or stored it before
 * the marker, so the loser's deletion finds it; a member that escapes both (an instance dying
 * between the two steps) is still refused by lookup for as long as it could be valid. This asks
 * of the store only that each call takes effect before it returns (one database, one Redis primary).
 */
@Injectable()
export class RefreshTokenService {
  private readonly logger = new Logger(RefreshTokenService.name);
  private readonly tokens: ProtectedGrantStore<RefreshTokenPayload>;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.tokens = new ProtectedGrantStore(grants, dataProtection, {
      type: PERSISTED_GRANT_TYPES.refreshToken,
      purpose: DATA_PROTECTION_PURPOSES.refreshToken,
      schema: refreshTokenPayloadSchema,
    });
  }

  /** Persists the first refresh token of a new family and returns its handle. */
  async createRefreshToken(request: RefreshTokenRequest): Promise<string> {
    const now = this.clock.now().getTime();
    const { handle } = await this.issue(request, { familyId: randomBytes(16).toString('hex'), familyCreatedAt: now }, now);
    return handle;
  }

  /**
   * refreshTokenUsage oneTime: spends the presented token and issues its successor in the same
   * family, with the same grant and absolute limit. Two requests racing with one token: only one
   * wins consume(); the other is reuse and revokes the family (RFC 9700 §4.14.2), unless the
   * client has a refreshTokenReuseInterval: then it answers with the winner's successor. A winner
   * whose family was revoked meanwhile withdraws its successor (docs/endpoints.md: no member survives).
   */
  async rotateOneTime(stored: StoredRefreshToken, client: Client): Promise<OneTimeRotation> {
    const { payload } = stored;
    // The successor is stored before the presented token is spent: a store failing between the two
    // steps (a database restart) leaves the presented token usable for the client's retry, rather
    // than spent with no successor, which the retry would take for reuse.
    const { handle, key } = await this.issue({
      client,
      subjectId: payload.subjectId,
      scopes: payload.scopes,
      sessionId: payload.sessionId,
      authTime: payload.authTime === undefined ? undefined : new Date(payload.authTime),
      amr: payload.amr,
      idp: payload.idp,
      resource: payload.resource,
    }, { familyId: payload.familyId, familyCreatedAt: payload.familyCreatedAt }, this.clock.now().getTime());
    let consumed: boolean;
    try {
      // With a reuse interval, the spent token records its successor in the same atomic step, so
      // a request racing with this one (same token, same app) can answer with the same successor.
      const record = client.refreshTokenReuseInterval > 0 ? await this.tokens.protect({ ...payload, successor: handle }) : undefined;
      consumed = await this.grants.consume(stored.grant.key, this.clock.now(), record);
    } catch (error) {
      await this.grants.remove(key).catch(() => undefined); // best effort: nobody holds it yet
      throw error;
    }
    if (!consumed) {
      await this.grants.remove(key);
      // With a reuse interval, the winner may have recorded its successor for us (not read otherwise).
      const spent = client.refreshTokenReuseInterval > 0 ? await this.tokens.get(stored.grant.key) : undefined;
      const successor = spent && successorWithinReuseInterval(spent, client, this.clock.now());
      if (successor !== undefined) {
        if (!(await this.isFamilyRevoked(payload.familyId))) return { outcome: 'rotated', handle: successor };
        return { outcome: 'family-revoked' };
      }
      await this.revokeFamily(stored, client);
      return { outcome: 'reused' };
    }
    // Checked after storing, never before: see the class comment.
    if (!(await this.isFamilyRevoked(payload.familyId))) return { outcome: 'rotated', handle };
    await this.grants.remove(key);
    this.logger.warn(`refresh token family of client ${client.clientId} was revoked while rotating: the successor is withdrawn`);
    return { outcome: 'family-revoked' };
  }

  /** refreshTokenUsage reuse + sliding: the same handle lives on, its expiry moves forward. */
  async slide(stored: StoredRefreshToken, client: Client): Promise<void> {
    const expiresAt = refreshTokenExpiration(client, stored.payload.familyCreatedAt, this.clock.now().getTime());
    await this.grants.store({ ...stored.grant, expiration: expiresAt === undefined ? undefined : new Date(expiresAt) });
  }

  /**
   * RFC 9700 §4.14.2: when a rotated refresh token comes back, the attacker or the client holds
   * a stale one — revoke every token of the family so neither can go on. The marker is stored
   * first (see the class comment), then the members are deleted. Returns how many were.
   */
  async revokeFamily(stored: StoredRefreshToken, client: Client): Promise<number> {
    const { familyId, familyCreatedAt, subjectId } = stored.payload;
    const now = this.clock.now();
    const marker = (memberExpirations: readonly (Date | undefined)[]): PersistedGrant =>
      familyRevocationMarker(client, { familyId, familyCreatedAt, subjectId }, now, memberExpirations);
    const first = marker([]);
    await this.grants.store(first);
    const members = await this.grants.getAll({ familyId, type: PERSISTED_GRANT_TYPES.refreshToken });
    for (const member of members) await this.grants.remove(member.key);
    // A member stored under another configuration may outlive the first estimate.
    const final = marker(members.map((member) => member.expiration));
    if (final.expiration?.getTime() !== first.expiration?.getTime()) await this.grants.store(final);
    // Never log the token; the client and subject are enough to investigate.
    this.logger.warn(`refresh token reuse detected for client ${client.clientId}, subject ${subjectId}: family revoked, ${members.length} tokens removed`);
    return members.length;
  }

  /**
   * The user withdrew this client's access (the `/grants` page): every refresh token the client
   * holds for the subject stops working, through the same family markers as reuse detection —
   * stored first, so a rotation racing with this withdraws its successor — then the tokens and
   * the client's reference tokens for the subject are deleted. Returns how many refresh tokens were.
   */
  async revokeAllForSubject(subjectId: string, client: Client): Promise<number> {
    const members = await this.grants.getAll({ subjectId, clientId: client.clientId, type: PERSISTED_GRANT_TYPES.refreshToken });
    const now = this.clock.now();
    const families = new Map<string, PersistedGrant[]>();
    for (const member of members) {
      if (member.familyId === undefined) continue;
      families.set(member.familyId, [...(families.get(member.familyId) ?? []), member]);
    }
    for (const [familyId, familyMembers] of families) {
      // The family began no later than its oldest member: counting from there keeps the marker long enough.
      const familyCreatedAt = Math.min(...familyMembers.map((member) => member.creationTime.getTime()));
      await this.grants.store(familyRevocationMarker(
        client, { familyId, familyCreatedAt, subjectId }, now, familyMembers.map((member) => member.expiration),
      ));
    }
    for (const member of members) await this.grants.remove(member.key);
    await this.grants.removeAll({ subjectId, clientId: client.clientId, type: PERSISTED_GRANT_TYPES.referenceToken });
    this.logger.log(`subject ${subjectId} revoked the access of client ${client.clientId}: ${members.length} refresh tokens removed`);
    return members.length;
  }

  /**
   * The stored token for a handle, consumed or not (the caller decides about reuse); undefined
   * when unknown, unreadable (logged) or of a revoked family.
   */
  async find(handle: string): Promise<StoredRefreshToken | undefined> {
    const stored = await this.tokens.get(persistedGrantKey(handle, PERSISTED_GRANT_TYPES.refreshToken));
    if (!stored) return undefined;
    if (await this.isFamilyRevoked(stored.payload.familyId)) {
      this.logger.warn(`a refresh token of a revoked family was presented (client ${stored.grant.clientId})`);
      return undefined;
    }
    return stored;
  }

  private async isFamilyRevoked(familyId: string): Promise<boolean> {
    const marker = await this.grants.get(familyRevocationKey(familyId));
    return marker?.type === PERSISTED_GRANT_TYPES.refreshTokenFamilyRevocation && marker.familyId === familyId;
  }

  private async issue(request: RefreshTokenRequest, family: { readonly familyId: string; readonly familyCreatedAt: number }, now: number): Promise<{ handle: string; key: string }> {
    const payload: RefreshTokenPayload = {
      v: 1,
      subjectId: request.subjectId,
      clientId: request.client.clientId,
      scopes: [...request.scopes],
      sessionId: request.sessionId,
      authTime: request.authTime?.getTime(),
      amr: request.amr ? [...request.amr] : undefined,
      ...(request.idp !== undefined && { idp: request.idp }),
      resource: request.resource,
      familyId: family.familyId,
      familyCreatedAt: family.familyCreatedAt,
      createdAt: now,
    };
    const expiresAt = refreshTokenExpiration(request.client, family.familyCreatedAt, now);
    const handle = createTokenHandle();
    const key = persistedGrantKey(handle, PERSISTED_GRANT_TYPES.refreshToken);
    await this.tokens.store({
      key,
      subjectId: request.subjectId,
      clientId: request.client.clientId,
      sessionId: request.sessionId,
      familyId: family.familyId,
      creationTime: new Date(now),
      expiration: expiresAt === undefined ? undefined : new Date(expiresAt),
    }, payload);
    return { handle, key };
  }
}
