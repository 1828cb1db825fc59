import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Clock } from '../common/clock';
import { DataProtectionProvider } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { ProtectedGrantStore } from '../stores/protected-grant.store';
import { PERSISTED_GRANT_TYPES, type Client, type PersistedGrant } from '../stores/models';

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

interface ConsentPayload {
  readonly scopes: readonly string[];
}

const consentPayloadSchema: z.ZodType<ConsentPayload, z.ZodTypeDef, unknown> = z.object({ scopes: z.array(z.string()) });

/**
 * The user's remembered consent: one persisted grant per subject and client (type
 * `user_consent`), keyed by a hash, holding the granted scopes data-protected.
 */
@Injectable()
export class ConsentService {
  private readonly consents: ProtectedGrantStore<ConsentPayload>;

  constructor(
    private readonly grants: PersistedGrantStore,
    dataProtection: DataProtectionProvider,
    private readonly clock: Clock,
  ) {
    this.consents = new ProtectedGrantStore(grants, dataProtection, {
      type: PERSISTED_GRANT_TYPES.userConsent,
      purpose: DATA_PROTECTION_PURPOSES.userConsent,
      schema: consentPayloadSchema,
    });
  }

  /**
   * The scopes the user consented to for this client, or undefined when nothing is remembered.
   * Unreadable consent (logged) counts as none: the user is simply asked again.
   */
  async getRememberedScopes(subjectId: string, clientId: string): Promise<readonly string[] | undefined> {
    const now = this.clock.now().getTime();
    const live = (grant: PersistedGrant) => !grant.expiration || grant.expiration.getTime() > now;
    return (await this.consents.get(consentKey(subjectId, clientId), live))?.payload.scopes;
  }

  /** Forgets what the user allowed this client (the `/grants` page): the next request asks again. */
  async forget(subjectId: string, clientId: string): Promise<void> {
    await this.grants.remove(consentKey(subjectId, clientId));
  }

  /** Remembers (adds to) the scopes the user allowed for this client. */
  async remember(subjectId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    const now = this.clock.now();
    const previous = (await this.getRememberedScopes(subjectId, clientId)) ?? [];
    const merged = [...new Set([...previous, ...scopes])];
    await this.consents.store({
      key: consentKey(subjectId, clientId),
      subjectId,
      clientId,
      creationTime: now,
      expiration: new Date(now.getTime() + REMEMBERED_CONSENT_LIFETIME_MS),
    }, { scopes: merged });
  }
}

function consentKey(subjectId: string, clientId: string): string {
  return createHash('sha256').update(`${PERSISTED_GRANT_TYPES.userConsent}:${clientId}:${subjectId}`).digest('base64url');
}
