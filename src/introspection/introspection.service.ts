import { Injectable, Logger } from '@nestjs/common';
import { errors } from 'jose';
import { Clock } from '../common/clock';
import { SigningService } from '../key-management/signing.service';
import type { ApiResource } from '../stores/models';
import { audiencesOf, type AccessTokenClaims } from '../tokens/access-token-claims';
import { ReferenceTokenService } from '../tokens/reference-token.service';

export type IntrospectionResponse = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/** A compact JWS has exactly three dot-separated parts; reference handles have none. */
function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * RFC 7662 §2.2: active with the token's claims only when the token is valid now and the calling
 * API is one of its audiences; otherwise just `{"active": false}` — no reason is given.
 */
@Injectable()
export class IntrospectionService {
  private readonly logger = new Logger(IntrospectionService.name);

  constructor(
    private readonly signing: SigningService,
    private readonly referenceTokens: ReferenceTokenService,
    private readonly clock: Clock,
  ) {}

  async introspect(token: string, api: ApiResource, issuer: string): Promise<IntrospectionResponse> {
    const claims = looksLikeJwt(token) ? await this.verifyJwt(token, issuer) : (await this.referenceTokens.find(token))?.claims;
    if (!claims || !audiencesOf(claims).includes(api.name)) return INACTIVE;
    return { active: true, ...claims, scope: scopesForApi(claims.scope, api) };
  }

  private async verifyJwt(token: string, issuer: string): Promise<AccessTokenClaims | undefined> {
    try {
      const { payload } = await this.signing.verify(token, { issuer, typ: 'at+jwt', currentDate: this.clock.now() });
      return payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof errors.JOSEError) {
        this.logger.debug(`introspected JWT is not valid (${error.code})`);
        return undefined;
      }
      throw error;
    }
  }
}

/** Duende's rule: an API sees only the scopes that belong to it. */
function scopesForApi(scope: string, api: ApiResource): string {
  return scope.split(' ').filter((name) => api.scopes.includes(name)).join(' ');
}
