import { Injectable, Logger } from '@nestjs/common';
import { createTokenHandle, persistedGrantKey } from '../token-issuance/token-handle';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { PERSISTED_GRANT_TYPES, type Client, type PersistedGrant } from '../stores/models';

/** What an authorization code stands for; data-protected inside its persisted grant. */
export interface AuthorizationCodePayload {
  readonly v: 1;
  readonly clientId: string;
  /** RFC 6749 §4.1.3: the token request must repeat exactly this redirect_uri */
  readonly redirectUri: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: 'S256';
  readonly scopes: readonly string[];
  readonly resource?: string;
  readonly nonce?: string;
  readonly subjectId: string;
  readonly sessionId: string;
  /** ms */
  readonly authTime: number;
  readonly amr: readonly string[];
  /** ms */
  readonly issuedAt: number;
}

export interface StoredAuthorizationCode {
  readonly grant: PersistedGrant;
  readonly payload: AuthorizationCodePayload;
}

/**
 * One-time authorization codes: the handle goes to the client, the store keeps only its hash
 * with the payload data-protected and an expiry of the client's authorizationCodeLifetime.
 * Single use is enforced by PersistedGrantStore.consume in the grant handler.
 */
@Injectable()
export class AuthorizationCodeService {
  private readonly logger = new Logger(AuthorizationCodeService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.protector = dataProtection.createProtector('persisted-grant', PERSISTED_GRANT_TYPES.authorizationCode);
  }

  async issue(client: Client, payload: Omit<AuthorizationCodePayload, 'v' | 'issuedAt' | 'clientId'>): Promise<string> {
    const now = this.clock.now();
    const code = createTokenHandle();
    const full: AuthorizationCodePayload = { v: 1, clientId: client.clientId, issuedAt: now.getTime(), ...payload };
    const expiration = new Date(now.getTime() + client.authorizationCodeLifetime * 1000);
    await this.grants.store({
      key: persistedGrantKey(code, PERSISTED_GRANT_TYPES.authorizationCode),
      type: PERSISTED_GRANT_TYPES.authorizationCode,
      subjectId: payload.subjectId,
      sessionId: payload.sessionId,
      clientId: client.clientId,
      creationTime: now,
      expiration,
      data: await this.protector.protect(JSON.stringify(full)),
    });
    return code;
  }

  /** The stored code (consumed or not); undefined when unknown or unreadable. */
  async find(code: string): Promise<StoredAuthorizationCode | undefined> {
    const grant = await this.grants.get(persistedGrantKey(code, PERSISTED_GRANT_TYPES.authorizationCode));
    if (!grant || grant.type !== PERSISTED_GRANT_TYPES.authorizationCode) return undefined;
    try {
      const payload = JSON.parse(await this.protector.unprotect(grant.data)) as AuthorizationCodePayload;
      return payload.v === 1 ? { grant, payload } : undefined;
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.error(`authorization code of client ${grant.clientId} cannot be read: ${error.message}`);
      return undefined;
    }
  }

  /** Marks the code used; true only for the first caller (RFC 6749 §4.1.2: codes are single-use). */
  consume(stored: StoredAuthorizationCode): Promise<boolean> {
    return this.grants.consume(stored.grant.key, this.clock.now());
  }
}
