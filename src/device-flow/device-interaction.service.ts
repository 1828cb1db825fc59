import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Clock } from '../common/clock';
import { ConsentService, isConsentRequired } from '../consent/consent.service';
import { DataProtectionProvider, UnprotectError, type DataProtector } from '../data-protection/data-protector';
import { DATA_PROTECTION_PURPOSES } from '../data-protection/purposes';
import { PAGE_PATHS } from '../protocol/paths';
import { ErrorPageError } from '../protocol/protocol-errors';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import type { ResourceIndex } from '../resources/resource-catalog';
import { ResourceCatalog } from '../resources/resource-catalog';
import { SessionService } from '../sessions/session.service';
import type { UserSession } from '../sessions/user-session';
import { ClientStore } from '../stores/client.store';
import type { ApiScope, Client, IdentityResource } from '../stores/models';
import { clientDisplayName, type ConsentPageRequest } from '../ui/consent-page-model';
import type { DeviceAuthorization } from './device-authorization';
import { DeviceCodeService } from './device-code.service';
import { normalizeUserCode } from './user-code';
import { UserCodeAttemptsService } from './user-code-attempts.service';

/** How long the user has between typing the code and finishing login and consent. */
export const DEVICE_INTERACTION_LIFETIME_MS = 10 * 60 * 1000;

export const INVALID_USER_CODE = 'That code is not valid or has expired. Check the code on your device and try again.';
export const TOO_MANY_USER_CODE_ATTEMPTS = 'Too many wrong codes. Please wait a few minutes, then try again.';

/** Why the code page is shown again: the page words it in its language. */
export type UserCodeError = 'invalid' | 'too-many-attempts';

/** The browser at `/device`, as far as the decisions need it (no HTTP types). */
export interface DeviceBrowser {
  /** the anti-forgery cookie's value: an interaction is bound to this browser through its hash */
  readonly antiforgeryCookie: string | undefined;
  /** the client address wrong codes count against (RFC 8628 §5.1) */
  readonly clientIp: string;
  /** the signed-in session; asked only once a code is known to be good */
  readonly session: () => Promise<UserSession | undefined>;
}

/** What the `/device` page does next. */
export type DeviceInteractionStep =
  /** show the code entry page (again), with this status */
  | { readonly kind: 'enter-code'; readonly userCode?: string; readonly error?: UserCodeError; readonly status: 200 | 400 | 429 }
  /** sign in first, then come back to `returnUrl` */
  | { readonly kind: 'login'; readonly returnUrl: string }
  /**
   * the confirmation page (RFC 8628 §5.4): client, scopes and the code to compare with the
   * device; its form posts `decision` to `returnUrl`; remembering is offered when the client requires consent
   */
  | {
    readonly kind: 'confirm'; readonly returnUrl: string; readonly request: ConsentPageRequest; readonly userCode: string;
    readonly userDisplayName?: string; readonly allowRemember: boolean;
  }
  /** the flow is over: the device connected, or denied (its next poll gets access_denied) */
  | { readonly kind: 'done'; readonly outcome: 'connected' | 'denied'; readonly clientName: string };

/** A device authorization still waiting for the user's decision, and its (enabled) client. */
export interface PendingAuthorization {
  readonly authorization: DeviceAuthorization;
  readonly client: Client;
  /** normalized, as the device shows it (`BCDF-GHJK`) */
  readonly userCode: string;
}

/**
 * The decisions of the `/device` page (RFC 8628 §3.3): check the typed code, send the user to
 * login, ask for consent when the client requires it, and record the answer the device's next
 * poll picks up. Once typed, the code travels through login and consent inside a data-protected
 * `request` parameter bound to the browser. Failures the user must see are ErrorPageErrors.
 */
@Injectable()
export class DeviceInteractionService {
  private readonly protector: DataProtector;

  constructor(
    private readonly deviceCodes: DeviceCodeService,
    private readonly clients: ClientStore,
    private readonly catalog: ResourceCatalog,
    private readonly consents: ConsentService,
    private readonly sessions: SessionService,
    private readonly attempts: UserCodeAttemptsService,
    private readonly clock: Clock,
    dataProtection: DataProtectionProvider,
  ) {
    this.protector = dataProtection.createProtector(...DATA_PROTECTION_PURPOSES.deviceInteraction);
  }

  /** The code the user typed into the form. */
  async enterCode(typed: string | undefined, browser: DeviceBrowser): Promise<DeviceInteractionStep> {
    // RFC 8628 §5.1: guessing user codes is rate-limited per client address.
    // The attempt is counted before the code is looked up (one atomic increment), so parallel
    // guesses cannot all slip under the limit.
    if (!(await this.attempts.reserve(browser.clientIp)).allowed) {
      return { kind: 'enter-code', userCode: typed, error: 'too-many-attempts', status: 429 };
    }
    const userCode = normalizeUserCode(typed ?? '');
    const authorization = userCode && (await this.deviceCodes.findByUserCode(userCode));
    if (!userCode || !authorization || authorization.data.decision) {
      return { kind: 'enter-code', userCode: typed, error: 'invalid', status: 400 };
    }
    await this.attempts.release(browser.clientIp);
    // Already loaded: carry on with it rather than reading back the interaction just protected.
    const pending = { authorization, client: await this.enabledClientOf(authorization), userCode };
    return this.proceed(await this.protectInteraction(userCode, authorization, browser), pending, browser);
  }

  /** Back at `/device?request=…` (after login): carry on where the user left off. */
  async resume(interaction: string, browser: DeviceBrowser): Promise<DeviceInteractionStep> {
    return this.proceed(interaction, await this.readInteraction(interaction, browser), browser);
  }

  /** The user's answer on the confirmation page. */
  async decide(
    interaction: string, browser: DeviceBrowser, decision: { readonly allow: boolean; readonly remember: boolean },
  ): Promise<DeviceInteractionStep> {
    const { authorization, client } = await this.readInteraction(interaction, browser);
    const session = await browser.session();
    if (!session) throw new ErrorPageError('login_required', 'Your session has ended. Please enter the code again.');
    if (!decision.allow) {
      // The device's next poll answers access_denied (RFC 8628 §3.5).
      await this.deviceCodes.decide(authorization, { approved: false });
      return { kind: 'done', outcome: 'denied', clientName: clientDisplayName(client) };
    }
    if (decision.remember) await this.consents.remember(session.subjectId, client.clientId, authorization.data.requestedScopes);
    return this.approve(authorization, client, session);
  }

  /**
   * After the code: login when needed, then always the confirmation page. RFC 8628 §5.4: a user
   * tricked into typing an attacker's code must see which client and what access they approve,
   * and the code to compare with their own device, before anything is connected — remembered
   * consent does not skip it. Remembering is offered when the client requires consent (it then
   * also spares the consent page of the authorization code flow).
   */
  private async proceed(interaction: string, pending: PendingAuthorization, browser: DeviceBrowser): Promise<DeviceInteractionStep> {
    const { authorization, client, userCode } = pending;
    const returnUrl = `${PAGE_PATHS.device}?${new URLSearchParams({ request: interaction })}`;
    const session = await browser.session();
    if (!session) return { kind: 'login', returnUrl };
    const scopes = authorization.data.requestedScopes;
    const consentRequired = isConsentRequired({
      client,
      requestedScopes: scopes,
      promptConsent: false,
      // Remembered consent matters only to clients that require consent: skip the read otherwise.
      rememberedScopes: client.requireConsent ? await this.consents.getRememberedScopes(session.subjectId, client.clientId) : undefined,
    });
    return {
      kind: 'confirm',
      returnUrl,
      request: describeScopes(await this.catalog.getIndex(), client, scopes),
      userCode,
      userDisplayName: session.displayName,
      allowRemember: consentRequired,
    };
  }

  private async approve(authorization: DeviceAuthorization, client: Client, session: UserSession): Promise<DeviceInteractionStep> {
    const recorded = await this.deviceCodes.decide(authorization, {
      approved: true,
      subjectId: session.subjectId,
      sessionId: session.sessionId,
      authTime: session.authTime.getTime(),
      amr: session.amr,
      ...(session.idp !== undefined && { idp: session.idp }),
      scopes: authorization.data.requestedScopes,
    });
    if (!recorded) throw new ErrorPageError('invalid_request', INVALID_USER_CODE);
    // The device takes part in the session: end session and back-channel logout reach it too.
    await this.sessions.addClient(session, client.clientId);
    return { kind: 'done', outcome: 'connected', clientName: clientDisplayName(client) };
  }

  /**
   * The interaction is bound to this browser (its anti-forgery cookie): a `request` link minted
   * by an attacker for their own device code is useless in a victim's browser, which would
   * otherwise approve the attacker's device on GET (RFC 8628 §5.4).
   */
  private async protectInteraction(userCode: string, authorization: DeviceAuthorization, browser: DeviceBrowser): Promise<string> {
    const expiresAt = Math.min(this.clock.now().getTime() + DEVICE_INTERACTION_LIFETIME_MS, authorization.expiration.getTime());
    return this.protector.protect(JSON.stringify({ userCode, browser: browserBinding(browser) }), { expiresAt: new Date(expiresAt) });
  }

  /** The pending authorization behind a `request` parameter, or the error page. */
  private async readInteraction(interaction: string, browser: DeviceBrowser): Promise<PendingAuthorization> {
    const pending = await this.findInteraction(interaction, browser);
    if (!pending) throw new ErrorPageError('invalid_request', INVALID_USER_CODE);
    return pending;
  }

  /**
   * The pending authorization behind a `request` parameter, when it is readable, bound to this
   * browser, still undecided and its client enabled; undefined otherwise (never an error for bad input).
   */
  async findInteraction(interaction: string, browser: Pick<DeviceBrowser, 'antiforgeryCookie'>): Promise<PendingAuthorization | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await this.protector.unprotect(interaction));
    } catch (error: unknown) {
      if (!(error instanceof UnprotectError) && !(error instanceof SyntaxError)) throw error;
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object') return undefined;
    const { userCode, browser: boundTo } = parsed as { userCode?: unknown; browser?: unknown };
    const binding = browserBinding(browser);
    if (binding === undefined || boundTo !== binding) return undefined;
    const authorization = typeof userCode === 'string' && userCode ? await this.deviceCodes.findByUserCode(userCode) : undefined;
    if (!authorization || authorization.data.decision) return undefined;
    const client = await this.clients.findClientById(authorization.clientId);
    if (!client?.enabled) return undefined;
    return { authorization, client, userCode: userCode as string };
  }

  private async enabledClientOf(authorization: DeviceAuthorization): Promise<Client> {
    const client = await this.clients.findClientById(authorization.clientId);
    if (!client?.enabled) throw new ErrorPageError('invalid_request', INVALID_USER_CODE);
    return client;
  }
}

/** A hash of the browser's anti-forgery cookie (never the cookie itself, which stays secret). */
function browserBinding(browser: Pick<DeviceBrowser, 'antiforgeryCookie'>): string | undefined {
  const cookie = browser.antiforgeryCookie;
  return cookie ? createHash('sha256').update(cookie).digest('base64url') : undefined;
}

/** The consent page's view of the scopes the device asked for (validated when it asked). */
function describeScopes(index: ResourceIndex, client: Client, scopes: readonly string[]): ConsentPageRequest {
  const identityResources: IdentityResource[] = [];
  const apiScopes: ApiScope[] = [];
  for (const name of scopes) {
    const identity = index.identityResources.get(name);
    const api = index.apiScopes.get(name);
    if (identity) identityResources.push(identity);
    else if (api) apiScopes.push(api);
  }
  return { client, identityResources, apiScopes, offlineAccess: scopes.includes(OFFLINE_ACCESS_SCOPE) };
}
