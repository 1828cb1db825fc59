import type { RequestOrigin } from '../../hosting/request-origin';
import type { AuthenticatedClient } from '../../client-authentication/authenticated-client';

/** A token request after parsing and client authentication, before grant validation. */
export interface TokenRequest {
  /** form parameters, each present at most once (duplicates are refused earlier) */
  readonly params: Readonly<Record<string, string>>;
  readonly client: AuthenticatedClient;
  readonly origin: RequestOrigin;
}

/** RFC 6749 §5.1 successful response, plus id_token for OIDC and RFC 8693 §2.2.1 issued_token_type. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  /** token exchange: the type of `access_token` (RFC 8693 §2.2.1) */
  readonly issued_token_type?: string;
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
