import { Injectable } from '@nestjs/common';
import { ClientStore } from '../client.store';
import type { Client } from '../models';
import { DatabaseConfiguration } from './database-configuration';

/** Clients from the database configuration store, through the instance's cached snapshot. */
@Injectable()
export class TypeOrmClientStore extends ClientStore {
  constructor(private readonly configuration: DatabaseConfiguration) {
    super();
  }

  override findClientById(clientId: string): Promise<Client | undefined> {
    return this.configuration.findClient(clientId);
  }
}
