import type { Client } from './models';

/** Finds clients by id. Replace through DI (see README, "Extending"). */
export abstract class ClientStore {
  /** The client, or undefined when unknown. Disabled clients are returned; callers check `enabled`. */
  abstract findClientById(clientId: string): Promise<Client | undefined>;
}
