import { Injectable } from '@nestjs/common';
import type { ApiResource } from '../stores/models';
import { audiencesOf } from '../token-issuance/access-token-claims';
import { AccessTokenValidator } from '../token-issuance/access-token.validator';

export type IntrospectionResponse = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * RFC 7662 §2.2: active with the token's claims only when the token is valid now and the calling
 * API is one of its audiences; otherwise just `{"active": false}` — no reason is given.
 */
@Injectable()
export class IntrospectionService {
  constructor(private readonly accessTokens: AccessTokenValidator) {}

  async introspect(token: string, api: ApiResource, issuer: string): Promise<IntrospectionResponse> {
    const claims = await this.accessTokens.validate(token, issuer);
    if (!claims || !audiencesOf(claims).includes(api.name)) return INACTIVE;
    return { active: true, ...claims, scope: scopesForApi(claims.scope, api) };
  }
}

/** Duende's rule: an API sees only the scopes that belong to it. */
function scopesForApi(scope: string, api: ApiResource): string {
  return scope.split(' ').filter((name) => api.scopes.includes(name)).join(' ');
}
