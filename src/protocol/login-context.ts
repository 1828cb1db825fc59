import type { FastifyRequest } from 'fastify';

/** What the login page shows of the request it was reached from ("to continue to <client>"). */
export interface LoginContext {
  readonly clientName: string;
  /** the client's `logoUri`, when it has one */
  readonly clientLogoUri?: string;
  /** prefills the username (the authorization request's `login_hint`) */
  readonly loginHint?: string;
}

/** The browser asking for the login page, as far as a describer needs it (a flow may be bound to its cookies). */
export type LoginPageBrowser = Pick<FastifyRequest, 'cookies'>;

/**
 * Describes the request behind a login page's `returnUrl`: the client the user signs in for.
 * The login page asks this seam, never a flow, so a flow of a higher layer (the device flow)
 * describes its own return URLs. An implementation answers undefined for a returnUrl that is not
 * its own, or not valid (unreadable, expired, foreign): the page then shows no client, never an error.
 * Bound by default to the authorization request's describer, then the device flow's, tried in
 * turn (src/login-context.module.ts).
 */
export abstract class LoginContextDescriber {
  abstract describe(returnUrl: string, browser: LoginPageBrowser): Promise<LoginContext | undefined>;
}

/** Asks each describer in turn; the first that knows the returnUrl answers. */
export class FirstLoginContextDescriber extends LoginContextDescriber {
  constructor(private readonly describers: readonly LoginContextDescriber[]) {
    super();
  }

  async describe(returnUrl: string, browser: LoginPageBrowser): Promise<LoginContext | undefined> {
    for (const describer of this.describers) {
      const context = await describer.describe(returnUrl, browser);
      if (context) return context;
    }
    return undefined;
  }
}
