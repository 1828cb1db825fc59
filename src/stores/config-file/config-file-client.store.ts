import { Inject, Injectable } from '@nestjs/common';
import type { IdentityConfiguration } from './identity-config.loader';
import { ClientStore } from '../client.store';
import type { Client } from '../models';
import { IDENTITY_CONFIGURATION } from './identity-configuration.provider';

/** Clients from the configuration file, indexed once by clientId. */
@Injectable()
export class ConfigFileClientStore extends ClientStore {
  private readonly byId: ReadonlyMap<string, Client>;

  constructor(@Inject(IDENTITY_CONFIGURATION) configuration: IdentityConfiguration) {
    super();
    this.byId = new Map(configuration.clients.map((client) => [client.clientId, client]));
  }

  override async findClientById(clientId: string): Promise<Client | undefined> {
    return this.byId.get(clientId);
  }
}
