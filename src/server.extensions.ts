import type { IdentityServerOptions } from './identity-server.module';
import { TokenExchangeGrantHandler } from './token-exchange/token-exchange.grant-handler';

/**
 * What this deployment runs with besides the built-in defaults: the one place a team that cloned
 * the server binds its own stores, cache, clock, pages, grant types and controllers (README.md,
 * "Extending through DI"). The server (main.ts) and the admin CLI both start from it, so they
 * always agree — e.g. on which grant names the configuration file may use.
 */
export const SERVER_EXTENSIONS: IdentityServerOptions = {
  // RFC 8693 token exchange, shipped as an extension grant: a client uses it only when its
  // allowedGrantTypes lists urn:ietf:params:oauth:grant-type:token-exchange.
  grantHandlers: [TokenExchangeGrantHandler],
};
