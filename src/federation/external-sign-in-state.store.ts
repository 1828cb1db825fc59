import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DistributedCache } from '../caching/distributed-cache';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';

/** How long a sign-in at an external provider may take before its state is forgotten. */
export const EXTERNAL_SIGN_IN_STATE_LIFETIME_MS = 15 * 60 * 1000;

const CACHE_PREFIX = 'external-sign-in:';

/** 32 random bytes, base64url: the `state` sent upstream (43 characters). */
const STATE_ID = /^[A-Za-z0-9_-]{43}$/;

/** What the callback needs to finish a sign-in started by the challenge. */
export interface ExternalSignInState {
  readonly scheme: string;
  /** local URL to continue to (the authorization request), or '' */
  readonly returnUrl: string;
  /** the redirect_uri sent upstream; the code exchange repeats it */
  readonly redirectUri: string;
  /** PKCE (RFC 7636) */
  readonly codeVerifier: string;
  readonly nonce: string;
  /** SHA-256 of the correlation cookie set on the browser that started the sign-in */
  readonly correlation: string;
}

const stateSchema = z.object({
  v: z.literal(1),
  scheme: z.string(),
  returnUrl: z.string(),
  redirectUri: z.string(),
  codeVerifier: z.string(),
  nonce: z.string(),
  correlation: z.string(),
});

/**
 * The correlation state of external sign-ins (Duende's distributed-cache state data format):
 * kept in the distributed cache under a random id, so the `state` parameter stays short and any
 * instance behind the same Redis can finish the sign-in; the content protected by data
 * protection; it expires after 15 minutes and is taken (read and deleted atomically) once.
 */
@Injectable()
export class ExternalSignInStateStore {
  private readonly logger = new Logger(ExternalSignInStateStore.name);
  private readonly protector: DataProtector;

  constructor(private readonly cache: DistributedCache, private readonly clock: Clock, dataProtection: DataProtectionProvider) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.externalSignInState);
  }

  /** Stores the state; returns its id, the `state` parameter to send upstream. */
  async save(state: ExternalSignInState): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + EXTERNAL_SIGN_IN_STATE_LIFETIME_MS);
    const payload = await this.protector.protect(JSON.stringify({ v: 1, ...state }), { expiresAt });
    await this.cache.set(CACHE_PREFIX + id, payload, EXTERNAL_SIGN_IN_STATE_LIFETIME_MS);
    return id;
  }

  /** The state of `id`, removed so that it serves once; undefined when unknown, used, expired or unreadable. */
  async take(id: string): Promise<ExternalSignInState | undefined> {
    if (!STATE_ID.test(id)) return undefined;
    const payload = await this.cache.take(CACHE_PREFIX + id);
    if (payload === undefined) return undefined;
    try {
      const parsed = stateSchema.safeParse(JSON.parse(await this.protector.unprotect(payload)));
      if (!parsed.success) {
        this.logger.error('An external sign-in state has an unknown shape; the sign-in is refused');
        return undefined;
      }
      const { v: _version, ...state } = parsed.data;
      return state;
    } catch (error) {
      if (!(error instanceof UnprotectError)) throw error;
      this.logger.error(`An external sign-in state cannot be unprotected (${error.reason}${error.keyId ? `, key ${error.keyId}` : ''}); the sign-in is refused`);
      return undefined;
    }
  }
}
