import { Injectable, Logger } from '@nestjs/common';
import { decodeJwt, errors as joseErrors, type JWTPayload } from 'jose';
import { SigningService } from '../key-management/signing.service';
import { ClientStore } from '../stores/client.store';
import type { Client } from '../stores/models';

/** The parameters of OIDC RP-Initiated Logout 1.0 §2 that we act on. */
export interface EndSessionParameters {
  readonly id_token_hint?: string;
  readonly post_logout_redirect_uri?: string;
  readonly state?: string;
  readonly client_id?: string;
}

export type EndSessionValidation =
  | {
    readonly kind: 'valid';
    /** the client the hint was issued to (or client_id names), when known */
    readonly client?: Client;
    /** the verified hint's subject and sid: present only with a valid id_token_hint */
    readonly hint?: { readonly subjectId: string; readonly sessionId?: string };
    /** registered and exactly matching, or undefined */
    readonly postLogoutRedirectUri?: string;
    readonly state?: string;
  }
  | { readonly kind: 'error'; readonly description: string };

/** The one audience of an id token, or its azp (OIDC Core §2). */
export function clientIdOfIdToken(payload: JWTPayload): string | undefined {
  if (typeof payload.azp === 'string') return payload.azp;
  if (typeof payload.aud === 'string') return payload.aud;
  return Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : undefined;
}

/**
 * Checks an end-session request (Duende's EndSessionRequestValidator). An id_token_hint is
 * verified against our keys and issuer; its expiry is ignored — RP-Initiated Logout 1.0 §2
 * lets an RP log out with an expired ID token — and only here. An invalid hint is simply no
 * hint (the user is asked). post_logout_redirect_uri must match one of the client's exactly;
 * without a known client it is ignored.
 */
@Injectable()
export class EndSessionRequestValidator {
  private readonly logger = new Logger(EndSessionRequestValidator.name);

  constructor(private readonly signing: SigningService, private readonly clients: ClientStore) {}

  async validate(params: EndSessionParameters, issuer: string): Promise<EndSessionValidation> {
    const hint = params.id_token_hint === undefined ? undefined : await this.verifyHint(params.id_token_hint, issuer);
    const hintClientId = hint ? clientIdOfIdToken(hint) : undefined;
    if (params.client_id !== undefined && hintClientId !== undefined && params.client_id !== hintClientId) {
      return { kind: 'error', description: 'client_id does not match the id_token_hint' };
    }
    const clientId = hintClientId ?? params.client_id;
    const found = clientId === undefined ? undefined : await this.clients.findClientById(clientId);
    const client = found?.enabled ? found : undefined;

    let postLogoutRedirectUri: string | undefined;
    // Without a known client there is nothing to match against: the URI is ignored (never
    // redirected to unchecked) and the user is asked and shown the signed-out page instead.
    if (params.post_logout_redirect_uri !== undefined && client) {
      if (!client.postLogoutRedirectUris.includes(params.post_logout_redirect_uri)) {
        return { kind: 'error', description: 'post_logout_redirect_uri is not registered for the client' };
      }
      postLogoutRedirectUri = params.post_logout_redirect_uri;
    }
    return {
      kind: 'valid',
      client,
      hint: hint && client && typeof hint.sub === 'string'
        ? { subjectId: hint.sub, sessionId: typeof hint.sid === 'string' ? hint.sid : undefined }
        : undefined,
      postLogoutRedirectUri,
      state: params.state,
    };
  }

  /** The hint's claims when it is our own identity token (signature and issuer), expired or not. */
  private async verifyHint(token: string, issuer: string): Promise<JWTPayload | undefined> {
    try {
      const claims = decodeJwt(token);
      if (typeof claims.iat !== 'number') return undefined;
      // Verify "as of" the moment it was issued: the signature and issuer count, expiry does not.
      const { payload, protectedHeader } = await this.signing.verify(token, {
        issuer,
        currentDate: new Date(claims.iat * 1000),
        requiredClaims: ['sub', 'aud', 'iat'],
      });
      // Access and logout tokens are typed (RFC 9068, Back-Channel Logout §2.4); identity tokens are not.
      if (protectedHeader.typ !== undefined && protectedHeader.typ.toUpperCase() !== 'JWT') return undefined;
      return payload;
    } catch (error: unknown) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
        this.logger.debug(`ignoring an id_token_hint that does not verify: ${error.message}`);
        return undefined;
      }
      throw error;
    }
  }
}
