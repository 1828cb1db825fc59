import '@fastify/cookie';
import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Clock } from '../common/clock';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { cookieOptionsFor } from '../hosting/cookie-options';
import { getRequestOrigin } from '../hosting/request-origin';
import { ErrorPageError } from '../protocol/protocol-errors';
import { ANTIFORGERY_FIELD } from './ui';
import type { FormFields } from './form-body';

export const ANTIFORGERY_COOKIE_NAME = 'idsrv.antiforgery';
/** A form older than this must be reloaded. */
const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

const issuedCookies = new WeakMap<FastifyRequest, string>();

/**
 * Anti-forgery tokens for every form: a random value in an HttpOnly cookie, and in the form a
 * data-protected copy of it. A cross-site page can make the browser send the cookie but cannot
 * read it or mint a matching protected token.
 */
@Injectable()
export class AntiforgeryService {
  private readonly logger = new Logger(AntiforgeryService.name);
  private readonly protector: DataProtector;

  constructor(dataProtection: DataProtectionProvider, private readonly clock: Clock) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.antiforgery);
  }

  /** The token to embed in a form; sets the anti-forgery cookie when the browser has none. */
  async issueToken(request: FastifyRequest, reply: FastifyReply): Promise<string> {
    let value = issuedCookies.get(request) ?? request.cookies?.[ANTIFORGERY_COOKIE_NAME];
    if (!value || !/^[\w-]{43}$/.test(value)) {
      value = randomBytes(32).toString('base64url');
      reply.setCookie(ANTIFORGERY_COOKIE_NAME, value, cookieOptionsFor(getRequestOrigin(request), { httpOnly: true, sameSite: 'lax' }));
    }
    issuedCookies.set(request, value);
    return this.protector.protect(JSON.stringify({ c: value }), {
      expiresAt: new Date(this.clock.now().getTime() + TOKEN_LIFETIME_MS),
    });
  }

  /** Throws an error page unless the form's token matches this browser's cookie. */
  async validate(request: FastifyRequest, fields: FormFields): Promise<void> {
    const cookie = request.cookies?.[ANTIFORGERY_COOKIE_NAME];
    const token = fields[ANTIFORGERY_FIELD];
    if (!cookie || !token) throw invalidForm();
    let expected: unknown;
    try {
      expected = (JSON.parse(await this.protector.unprotect(token)) as { c?: unknown }).c;
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.warn(`Rejected a form with an unreadable anti-forgery token: ${error.message}`);
      throw invalidForm();
    }
    const a = Buffer.from(typeof expected === 'string' ? expected : '');
    const b = Buffer.from(cookie);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw invalidForm();
  }
}

function invalidForm(): ErrorPageError {
  return new ErrorPageError('invalid_request', 'The form has expired or did not come from this site. Please go back and try again.');
}
