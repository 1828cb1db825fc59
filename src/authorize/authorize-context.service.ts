import { Injectable, Logger } from '@nestjs/common';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import type { AuthorizeContext } from './authorize-request';
import { PAGE_PATHS } from '../protocol/paths';

/** How long a user may take to log in and consent before the request must start over. */
export const AUTHORIZE_CONTEXT_LIFETIME_MS = 30 * 60 * 1000;

/**
 * Carries an authorization request through login and consent: the context travels in the
 * returnUrl, data-protected (tamper-proof, expiring), so no server state is needed in between
 * and any instance can resume it. A pushed request's one-time request_uri is spent once, up front.
 */
@Injectable()
export class AuthorizeContextService {
  private readonly logger = new Logger(AuthorizeContextService.name);
  private readonly protector: DataProtector;

  constructor(dataProtection: DataProtectionProvider) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.authorizeContext);
  }

  /** The local URL that resumes this request. */
  async callbackUrl(context: AuthorizeContext): Promise<string> {
    const expiresAt = new Date(context.requestedAt + AUTHORIZE_CONTEXT_LIFETIME_MS);
    const token = await this.protector.protect(JSON.stringify(context), { expiresAt });
    return `${PAGE_PATHS.authorizeCallback}?${new URLSearchParams({ ctx: token }).toString()}`;
  }

  /** The context of a callback's `ctx` parameter; undefined when expired, tampered with or malformed. */
  async read(token: string | undefined): Promise<AuthorizeContext | undefined> {
    if (!token) return undefined;
    try {
      const parsed: unknown = JSON.parse(await this.protector.unprotect(token));
      return isAuthorizeContext(parsed) ? parsed : undefined;
    } catch (error) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      this.logger.warn(`An authorization context could not be read: ${error.message}`);
      return undefined;
    }
  }

  /** The context behind a login/consent page's returnUrl, when it is an authorize callback. */
  async readReturnUrl(returnUrl: string | undefined): Promise<AuthorizeContext | undefined> {
    if (!returnUrl?.startsWith(`${PAGE_PATHS.authorizeCallback}?`)) return undefined;
    const query = new URLSearchParams(returnUrl.slice(PAGE_PATHS.authorizeCallback.length + 1));
    return this.read(query.get('ctx') ?? undefined);
  }
}

function isAuthorizeContext(value: unknown): value is AuthorizeContext {
  if (!value || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return c.v === 1 && typeof c.params === 'object' && c.params !== null && typeof c.pushed === 'boolean' && typeof c.requestedAt === 'number';
}
