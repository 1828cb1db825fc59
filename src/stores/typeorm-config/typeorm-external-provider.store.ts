import { Injectable } from '@nestjs/common';
import { ExternalProviderStore } from '../external-provider.store';
import type { ExternalProvider } from '../models';
import { DatabaseConfiguration } from './database-configuration';

/** External providers from the database configuration store, cached; client secrets as stored (protected). */
@Injectable()
export class TypeOrmExternalProviderStore extends ExternalProviderStore {
  constructor(private readonly configuration: DatabaseConfiguration) {
    super();
  }

  override async getAll(): Promise<readonly ExternalProvider[]> {
    return (await this.configuration.snapshot()).externalProviders;
  }
}
