import { Injectable } from '@nestjs/common';
import type { IdentityConfiguration } from './identity-config.loader';
import { ClientStore } from '../client.store';
import type { Client } from '../models';
import { IdentityConfigurationHolder } from './identity-configuration.holder';

/**
 * Clients from the configuration file, indexed by clientId once per version of the file: after
 * a reload the first lookup indexes the new version, and no lookup sees the old one again.
 */
@Injectable()
export class ConfigFileClientStore extends ClientStore {
  private indexed?: { readonly of: IdentityConfiguration; readonly byId: ReadonlyMap<string, Client> };

  constructor(private readonly holder: IdentityConfigurationHolder) {
    super();
  }

  override async findClientById(clientId: string): Promise<Client | undefined> {
    const current = this.holder.current;
    if (this.indexed?.of !== current) {
      this.indexed = { of: current, byId: new Map(current.clients.map((client) => [client.clientId, client])) };
    }
    return this.indexed.byId.get(clientId);
  }
}
