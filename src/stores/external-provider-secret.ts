import type { DataProtectionProvider, DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import type { ExternalProvider } from './models';

/** The protector of provider client secrets in the database configuration store. */
export function externalProviderSecretProtector(dataProtection: DataProtectionProvider): DataProtector {
  return dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.externalProviderSecret);
}

/** The provider with its client secret protected (as the database store keeps it). */
export async function protectExternalProviderSecret(provider: ExternalProvider, protector: DataProtector): Promise<ExternalProvider> {
  const secret = provider.clientSecret;
  if (!secret || 'protected' in secret) return provider;
  return { ...provider, clientSecret: { protected: await protector.protect(secret.plaintext) } };
}

/** The plaintext client secret to send to the provider, or undefined for a public client. */
export async function revealExternalProviderSecret(provider: ExternalProvider, protector: DataProtector): Promise<string | undefined> {
  const secret = provider.clientSecret;
  if (!secret) return undefined;
  return 'plaintext' in secret ? secret.plaintext : protector.unprotect(secret.protected);
}
