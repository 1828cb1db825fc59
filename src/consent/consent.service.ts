import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { PERSISTED_GRANT_TYPES, type Client } from '../stores/models';

/** Remembered consent lasts this long, then the user is asked again. */
export const REMEMBERED_CONSENT_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

/** Whether the consent page must be shown; a pure decision of the client, prompt and memory. */
export function isConsentRequired(input: {
  readonly client: Pick<Client, 'requireConsent'>;
  readonly requestedScopes: readonly string[];
  readonly promptConsent: boolean;
  readonly rememberedScopes: readonly string[] | undefined;
}): boolean {
  // OIDC Core §3.1.2.1: prompt=consent asks again even when consent was given before.
  if (input.promptConsent) return true;
  if (!input.client.requireConsent) return false;
  const remembered = input.rememberedScopes;
  return !remembered || input.requestedScopes.some((s) => !remembered.includes(s));
}

/**
 * The user's remembered consent: one persisted grant per subject and client (type
 * `user_consent`), keyed by a hash, holding the granted scopes data-protected.
 */
@Injectable()
export class ConsentService {
  private readonly logger = new Logger(ConsentService.name);
  private readonly protector: DataProtector;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.protector = dataProtection.createProtector('consent', 'user_consent');
  }

  /** The scopes the user consented to for this client, or undefined when nothing is remembered. */
  async getRememberedScopes(subjectId: string, clientId: string): Promise<readonly string[] | undefined> {
    const grant = await this.grants.get(consentKey(subjectId, clientId));
    if (!grant || grant.type !== PERSISTED_GRANT_TYPES.userConsent) return undefined;
    if (grant.expiration && grant.expiration.getTime() <= this.clock.now().getTime()) return undefined;
    try {
      const parsed: unknown = JSON.parse(await this.protector.unprotect(grant.data));
      const scopes = (parsed as { scopes?: unknown }).scopes;
      return Array.isArray(scopes) && scopes.every((s) => typeof s === 'string') ? scopes : undefined;
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      // Unreadable consent is treated as none: the user is simply asked again.
      this.logger.error(`Remembered consent for client ${clientId} cannot be read: ${error.message}`);
      return undefined;
    }
  }

  /** Remembers (adds to) the scopes the user allowed for this client. */
  async remember(subjectId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    const now = this.clock.now();
    const previous = (await this.getRememberedScopes(subjectId, clientId)) ?? [];
    const merged = [...new Set([...previous, ...scopes])];
    await this.grants.store({
      key: consentKey(subjectId, clientId),
      type: PERSISTED_GRANT_TYPES.userConsent,
      subjectId,
      clientId,
      creationTime: now,
      expiration: new Date(now.getTime() + REMEMBERED_CONSENT_LIFETIME_MS),
      data: await this.protector.protect(JSON.stringify({ scopes: merged })),
    });
  }
}

function consentKey(subjectId: string, clientId: string): string {
  return createHash('sha256').update(`${PERSISTED_GRANT_TYPES.userConsent}:${clientId}:${subjectId}`).digest('base64url');
}
