import { Injectable } from '@nestjs/common';
import type { Resources } from '../models';
import { ResourceStore } from '../resource.store';
import { DatabaseConfiguration } from './database-configuration';

/** Identity resources, API scopes and API resources from the database configuration store, cached. */
@Injectable()
export class TypeOrmResourceStore extends ResourceStore {
  constructor(private readonly configuration: DatabaseConfiguration) {
    super();
  }

  override async getAllResources(): Promise<Resources> {
    return (await this.configuration.snapshot()).resources;
  }
}
