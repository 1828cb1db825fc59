import type { ExternalProvider } from './models';

/**
 * The external OpenID Connect providers (`externalProviders`, docs/configuration-file.md): from
 * the configuration file, or the database configuration store with CONFIGURATION_STORE=database.
 */
export abstract class ExternalProviderStore {
  /** Every provider, enabled or not, in configuration order. */
  abstract getAll(): Promise<readonly ExternalProvider[]>;

  /** The provider, or undefined when unknown. Disabled providers are returned; callers check `enabled`. */
  async findByScheme(scheme: string): Promise<ExternalProvider | undefined> {
    return (await this.getAll()).find((provider) => provider.scheme === scheme);
  }
}
