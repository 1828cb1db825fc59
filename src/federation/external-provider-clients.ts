import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { Clock } from '../common/clock';
import { DataProtectionProvider, type DataProtector } from '../data-protection/data-protector';
import { externalProviderSecretProtector, revealExternalProviderSecret } from '../stores/external-provider-secret';
import type { ExternalProvider } from '../stores/models';

/** How long a provider's discovery document is used before it is fetched again. */
export const DISCOVERY_CACHE_MS = 60 * 60 * 1000;

/** Seconds a request to a provider may take (discovery, token endpoint, JWKS). */
const PROVIDER_TIMEOUT_SECONDS = 10;

interface Cached {
  /** authority, client id and secret this configuration was made for: a change in the configuration makes a new one */
  readonly fingerprint: string;
  readonly configuration: oidc.Configuration;
  readonly expiresAt: number;
}

/**
 * The relying-party side of each external provider, built with openid-client from the provider's
 * discovery document and cached per provider (its JWKS is cached by openid-client with it). Id
 * tokens are checked against the provider's JWKS too (enableNonRepudiationChecks), not only
 * trusted because they came over TLS. Plain http is allowed only for loopback authorities, which
 * the configuration schema already limits it to.
 */
@Injectable()
export class ExternalProviderClients {
  private readonly logger = new Logger(ExternalProviderClients.name);
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<Cached>>();
  private readonly secrets: DataProtector;

  constructor(private readonly clock: Clock, dataProtection: DataProtectionProvider) {
    this.secrets = externalProviderSecretProtector(dataProtection);
  }

  /** The provider's client configuration; rejects when its discovery document cannot be fetched or is invalid. */
  async configurationFor(provider: ExternalProvider): Promise<oidc.Configuration> {
    const secret = await revealExternalProviderSecret(provider, this.secrets);
    const fingerprint = createHash('sha256').update(JSON.stringify([provider.authority, provider.clientId, secret ?? null])).digest('base64url');
    const cached = this.cache.get(provider.scheme);
    if (cached && cached.fingerprint === fingerprint && cached.expiresAt > this.clock.now().getTime()) return cached.configuration;
    const key = `${provider.scheme} ${fingerprint}`;
    let loading = this.pending.get(key);
    if (!loading) {
      loading = this.discover(provider, secret, fingerprint).finally(() => this.pending.delete(key));
      this.pending.set(key, loading);
    }
    return (await loading).configuration;
  }

  /** Forgets a provider's configuration (and JWKS): the next sign-in fetches its discovery document again. */
  forget(scheme: string): void {
    this.cache.delete(scheme);
  }

  private async discover(provider: ExternalProvider, secret: string | undefined, fingerprint: string): Promise<Cached> {
    const authority = new URL(provider.authority);
    const execute = [oidc.enableNonRepudiationChecks];
    if (authority.protocol === 'http:') execute.push(oidc.allowInsecureRequests);
    const configuration = await oidc.discovery(
      authority,
      provider.clientId,
      undefined,
      secret === undefined ? oidc.None() : oidc.ClientSecretBasic(secret),
      { execute, timeout: PROVIDER_TIMEOUT_SECONDS },
    );
    configuration.timeout = PROVIDER_TIMEOUT_SECONDS;
    const cached = { fingerprint, configuration, expiresAt: this.clock.now().getTime() + DISCOVERY_CACHE_MS };
    this.cache.set(provider.scheme, cached);
    this.logger.log(`Read the discovery document of external provider "${provider.scheme}" (${provider.authority})`);
    return cached;
  }
}
