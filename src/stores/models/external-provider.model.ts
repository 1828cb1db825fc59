/**
 * The client secret of an external provider. The configuration file holds it in plain text (it
 * must be sent to the provider, so it cannot be hashed); the database configuration store keeps
 * it only protected by data protection, and the federation unprotects it when it calls the provider.
 */
export type ExternalProviderSecret =
  | { readonly plaintext: string }
  | { readonly protected: string };

/** An external OpenID Connect provider (`externalProviders` in docs/configuration-file.md). */
export interface ExternalProvider {
  /** the callback is {issuer}/signin/{scheme}; also the `idp` claim of users signed in through it */
  readonly scheme: string;
  readonly displayName: string;
  readonly enabled: boolean;
  /** the provider's issuer; its discovery document is {authority}/.well-known/openid-configuration */
  readonly authority: string;
  readonly clientId: string;
  /** absent: a public client (PKCE only, token endpoint auth `none`) */
  readonly clientSecret?: ExternalProviderSecret;
  readonly scopes: readonly string[];
  /** local claim name → the provider's claim name */
  readonly claimMappings: Readonly<Record<string, string>>;
  /** create the local user (and the link) on the first sign-in */
  readonly autoProvision: boolean;
}
