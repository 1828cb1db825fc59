import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { createTokenHandle, persistedGrantKey } from '../token-issuance/token-handle';
import { Clock } from '../common/clock';
import { DataProtectionProvider } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ProtectedGrantStore } from '../stores/protected-grant.store';
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
  /** the external provider's scheme; absent: local */
  readonly idp?: string;
  /** ms */
  readonly issuedAt: number;
}

const authorizationCodePayloadSchema: z.ZodType<AuthorizationCodePayload, z.ZodTypeDef, unknown> = z.object({
  v: z.literal(1),
  clientId: z.string(),
  redirectUri: z.string(),
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.literal('S256').optional(),
  scopes: z.array(z.string()),
  resource: z.string().optional(),
  nonce: z.string().optional(),
  subjectId: z.string(),
  sessionId: z.string(),
  authTime: z.number(),
  amr: z.array(z.string()),
  idp: z.string().optional(),
  issuedAt: z.number(),
});

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
  private readonly codes: ProtectedGrantStore<AuthorizationCodePayload>;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.codes = new ProtectedGrantStore(grants, dataProtection, {
      type: PERSISTED_GRANT_TYPES.authorizationCode,
      purpose: DATA_PROTECTION_PURPOSES.authorizationCode,
      schema: authorizationCodePayloadSchema,
    });
  }

  async issue(client: Client, payload: Omit<AuthorizationCodePayload, 'v' | 'issuedAt' | 'clientId'>): Promise<string> {
    const now = this.clock.now();
    const code = createTokenHandle();
    const full: AuthorizationCodePayload = { v: 1, clientId: client.clientId, issuedAt: now.getTime(), ...payload };
    const expiration = new Date(now.getTime() + client.authorizationCodeLifetime * 1000);
    await this.codes.store({
      key: persistedGrantKey(code, PERSISTED_GRANT_TYPES.authorizationCode),
      subjectId: payload.subjectId,
      sessionId: payload.sessionId,
      clientId: client.clientId,
      creationTime: now,
      expiration,
    }, full);
    return code;
  }

  /** The stored code (consumed or not); undefined when unknown or unreadable. */
  find(code: string): Promise<StoredAuthorizationCode | undefined> {
    return this.codes.get(persistedGrantKey(code, PERSISTED_GRANT_TYPES.authorizationCode));
  }

  /** Marks the code used; true only for the first caller (RFC 6749 §4.1.2: codes are single-use). */
  consume(stored: StoredAuthorizationCode): Promise<boolean> {
    return this.grants.consume(stored.grant.key, this.clock.now());
  }
}
