import type { Type } from '@nestjs/common';
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

const GRANT_TYPE_METADATA = Symbol('grant-type');

// RFC 6749 Appendix A.10: grant-type = grant-name / URI-reference; grant-name = 1*name-char.
const GRANT_NAME = /^[-._A-Za-z0-9]+$/;

function isGrantTypeName(name: string): boolean {
  if (GRANT_NAME.test(name)) return true;
  // RFC 6749 §4.5: an extension grant is named by an absolute URI (e.g. `urn:ietf:params:oauth:…`).
  return URL.canParse(name) && /^[\x21-\x7E]+$/.test(name);
}

/**
 * Declares the `grant_type` a handler answers, once, on its class:
 * `@GrantType('urn:ietf:params:oauth:grant-type:token-exchange')`. forRoot reads it to build the
 * registry of supported grants (token endpoint, discovery, configuration validation).
 */
export function GrantType(name: string): ClassDecorator {
  if (!isGrantTypeName(name)) {
    throw new Error(`@GrantType(${JSON.stringify(name)}): a grant type is a name of letters, digits, "-", "." and "_", or an absolute URI (RFC 6749 §4.5)`);
  }
  return (target) => {
    Reflect.defineMetadata(GRANT_TYPE_METADATA, name, target);
  };
}

/** The name a handler class declared with @GrantType; throws when it declared none. */
export function grantTypeOf(handler: Type<GrantHandler> | { readonly name: string }): string {
  const name: unknown = Reflect.getMetadata(GRANT_TYPE_METADATA, handler);
  if (typeof name !== 'string') throw new Error(`${handler.name} declares no grant type: decorate it with @GrantType('…')`);
  return name;
}

/**
 * One class per grant type (`token-endpoint/grants/<grant-type>.grant-handler.ts`), named by
 * @GrantType. All are bound under GRANT_HANDLERS; the token endpoint picks by grant_type.
 * Extension grants are registered with `IdentityServerOptions.grantHandlers`.
 */
export abstract class GrantHandler {
  /** the `grant_type` this handler answers, as declared by @GrantType on its class */
  get grantType(): string {
    return grantTypeOf(this.constructor);
  }

  abstract handle(request: TokenRequest): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
