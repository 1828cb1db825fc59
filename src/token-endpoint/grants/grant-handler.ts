import type { RequestOrigin } from '../../hosting/request-origin';
import type { AuthenticatedClient } from '../../client-authentication/authenticated-client';

/** A token request after parsing and client authentication, before grant validation. */
export interface TokenRequest {
  /** form parameters, each present at most once (duplicates are refused earlier) */
  readonly params: Readonly<Record<string, string>>;
  readonly client: AuthenticatedClient;
  readonly origin: RequestOrigin;
}

/** RFC 6749 §5.1 successful response, plus id_token for OIDC. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

/**
 * One class per grant type (`token/grants/<grant-type>.grant-handler.ts`). All are bound under
 * the GrantHandler multi-provider token GRANT_HANDLERS; the token endpoint picks by grant_type.
 */
export abstract class GrantHandler {
  abstract readonly grantType: string;
  abstract handle(request: TokenRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
