import type { Client } from '../stores/models';

export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthenticationMethod;
}
