import { Injectable } from '@nestjs/common';
import { ExternalProviderStore } from '../external-provider.store';
import type { ExternalProvider } from '../models';
import { IdentityConfigurationHolder } from './identity-configuration.holder';

/** External providers of the configuration file's current version (reloaded with the file). */
@Injectable()
export class ConfigFileExternalProviderStore extends ExternalProviderStore {
  constructor(private readonly holder: IdentityConfigurationHolder) {
    super();
  }

  override async getAll(): Promise<readonly ExternalProvider[]> {
    return this.holder.current.externalProviders;
  }
}
