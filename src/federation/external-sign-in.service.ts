import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { Clock } from '../common/clock';
import { cookieOptionsFor } from '../hosting/cookie-options';
import { getRequestOrigin } from '../hosting/request-origin';
import { PAGE_PATHS } from '../protocol/paths';
import { SessionService } from '../sessions/session.service';
import { ExternalProviderStore } from '../stores/external-provider.store';
import type { ClaimValue, ExternalProvider } from '../stores/models';
import { UserLinkStore } from '../stores/user-link.store';
import { isLocalUrl } from '../ui/local-url';
import { displayNameOf, externalAmr, mapClaims } from './claim-mapping';
import { ExternalProviderClients } from './external-provider-clients';
import { ExternalSignInError } from './external-sign-in-errors';
import { ExternalSignInStateStore, EXTERNAL_SIGN_IN_STATE_LIFETIME_MS, type ExternalSignInState } from './external-sign-in-state.store';

/**
 * Binds the state to the browser that started the sign-in (login CSRF: a callback URL of someone
 * else's sign-in, opened in a victim's browser, must not sign the victim in as that person).
 */
export const CORRELATION_COOKIE_NAME = 'idsrv.external';

/** OIDC Core §2: `sub` must not exceed 255 ASCII characters. */
const MAX_EXTERNAL_SUBJECT_LENGTH = 255;

/** What the callback received: the authorization response parameters (query, or form for form_post). */
export type CallbackParameters = Readonly<Record<string, string>>;

/** Where the browser goes after the callback: the local returnUrl, or '' for the "signed in" page. */
export interface ExternalSignInResult {
  readonly returnUrl: string;
  readonly displayName: string;
}

/**
 * Federation with external OpenID Connect providers (docs/endpoints.md, `/account/external` and
 * `/signin/{scheme}`). The challenge sends the browser to the provider (code flow, PKCE S256,
 * state, nonce); the callback takes the state once, checks the response (RFC 9207 `iss`, the code
 * exchange, the id token's signature, iss, aud, exp and nonce: openid-client; azp: here too), links the
 * external subject to a local one (auto-provisioning when the provider allows it) and starts the
 * local session with `idp` = the scheme. Every failure is the error page; no session is started.
 */
@Injectable()
export class ExternalSignInService {
  private readonly logger = new Logger(ExternalSignInService.name);

  constructor(
    private readonly providers: ExternalProviderStore,
    private readonly clients: ExternalProviderClients,
    private readonly states: ExternalSignInStateStore,
    private readonly links: UserLinkStore,
    private readonly sessions: SessionService,
    private readonly clock: Clock,
  ) {}

  /** The provider's authorization URL for this browser; sets the correlation cookie. */
  async challenge(request: FastifyRequest, reply: FastifyReply, scheme: string, requestedReturnUrl: string | undefined): Promise<string> {
    // Never an open redirect: anything but a local path is dropped.
    const returnUrl = isLocalUrl(requestedReturnUrl) ? requestedReturnUrl : '';
    const provider = await this.enabledProvider(scheme, returnUrl);
    const configuration = await this.configurationFor(provider, returnUrl);
    const origin = getRequestOrigin(request);
    const redirectUri = `${origin.issuer}${PAGE_PATHS.externalSignInCallback}/${encodeURIComponent(provider.scheme)}`;
    const correlation = randomBytes(32).toString('base64url');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = await this.states.save({
      scheme: provider.scheme, returnUrl, redirectUri, codeVerifier, nonce, correlation: sha256(correlation),
    });
    reply.setCookie(CORRELATION_COOKIE_NAME, correlation, cookieOptionsFor(origin, {
      path: PAGE_PATHS.externalSignInCallback, httpOnly: true, sameSite: 'lax', maxAge: EXTERNAL_SIGN_IN_STATE_LIFETIME_MS / 1000,
    }));
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: provider.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return url.href;
  }

  /** Finishes the sign-in started by `challenge`; throws ExternalSignInError (the error page) on any failure. */
  async complete(request: FastifyRequest, reply: FastifyReply, scheme: string, parameters: CallbackParameters): Promise<ExternalSignInResult> {
    const state = await this.takeState(request, reply, scheme, parameters.state);
    const provider = await this.enabledProvider(state.scheme, state.returnUrl);
    if (parameters.error !== undefined) throw this.providerRefused(provider, parameters, state.returnUrl);

    const configuration = await this.configurationFor(provider, state.returnUrl);
    const callback = new URL(state.redirectUri);
    for (const [name, value] of Object.entries(parameters)) callback.searchParams.set(name, value);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: state.codeVerifier,
        expectedState: parameters.state,
        expectedNonce: state.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      // A key the provider rotated in since we cached its JWKS: fetch it again at the next sign-in.
      this.clients.forget(provider.scheme);
      this.logger.warn(`External sign-in through "${provider.scheme}" failed at the code exchange or id token check: ${describe(error)}`);
      throw new ExternalSignInError(
        'external_sign_in_failed',
        `${provider.displayName} did not confirm the sign-in (its answer could not be verified). Go back and try again.`,
        state.returnUrl, 502,
      );
    }
    const idToken = tokens.claims();
    if (!idToken) throw new ExternalSignInError('external_sign_in_failed', `${provider.displayName} sent no id token.`, state.returnUrl, 502);
    // OIDC Core §3.1.3.7 item 5: an azp names the client the token was issued to. openid-client
    // compares it only when there are several audiences; one naming another client is refused too.
    if (idToken.azp !== undefined && idToken.azp !== provider.clientId) {
      this.logger.warn(`External provider "${provider.scheme}" sent an id token whose azp names another client`);
      throw new ExternalSignInError(
        'external_sign_in_failed',
        `${provider.displayName} did not confirm the sign-in (its answer could not be verified). Go back and try again.`,
        state.returnUrl, 502,
      );
    }
    // OIDC Core §2: sub is at most 255 ASCII characters (the user-link store's column is that wide).
    if (idToken.sub.length === 0 || idToken.sub.length > MAX_EXTERNAL_SUBJECT_LENGTH) {
      this.logger.warn(`External provider "${provider.scheme}" sent an id token whose sub is empty or longer than ${MAX_EXTERNAL_SUBJECT_LENGTH} characters`);
      throw new ExternalSignInError('external_sign_in_failed', `${provider.displayName} sent an invalid user identifier.`, state.returnUrl, 502);
    }
    const external = { ...(await this.userInfoOf(provider, configuration, tokens.access_token, idToken.sub, state.returnUrl)), ...idToken };
    const claims = mapClaims(external, provider.claimMappings);
    const subjectId = await this.localSubjectOf(provider, external.sub, claims, state.returnUrl);
    const displayName = displayNameOf(claims, external, external.sub);
    await this.sessions.signIn(request, reply, {
      subjectId,
      displayName,
      amr: externalAmr(external),
      idp: provider.scheme,
      ...(tokens.id_token !== undefined && { externalIdToken: tokens.id_token }),
    });
    this.logger.log(`Signed in subject ${subjectId} through external provider "${provider.scheme}"`);
    return { returnUrl: state.returnUrl, displayName };
  }

  /**
   * OIDC Core §5.3: the provider's userinfo claims (many providers put profile and email there,
   * not in the id token); its `sub` must be the id token's (openid-client checks it). None when
   * the provider has no userinfo endpoint.
   */
  private async userInfoOf(
    provider: ExternalProvider, configuration: oidc.Configuration, accessToken: string, subject: string, returnUrl: string,
  ): Promise<Record<string, unknown>> {
    if (!configuration.serverMetadata().userinfo_endpoint) return {};
    try {
      return { ...(await oidc.fetchUserInfo(configuration, accessToken, subject)) };
    } catch (error) {
      this.logger.warn(`External sign-in through "${provider.scheme}" failed at its userinfo endpoint: ${describe(error)}`);
      throw new ExternalSignInError(
        'external_sign_in_failed',
        `${provider.displayName} did not confirm the sign-in (its answer could not be verified). Go back and try again.`,
        returnUrl, 502,
      );
    }
  }

  /** The state of this callback, taken once, for this scheme and this browser. */
  private async takeState(request: FastifyRequest, reply: FastifyReply, scheme: string, id: string | undefined): Promise<ExternalSignInState> {
    const cookie = request.cookies?.[CORRELATION_COOKIE_NAME];
    if (cookie !== undefined) {
      reply.clearCookie(CORRELATION_COOKIE_NAME, cookieOptionsFor(getRequestOrigin(request), { path: PAGE_PATHS.externalSignInCallback }));
    }
    const state = id === undefined ? undefined : await this.states.take(id);
    if (!state) {
      this.logger.warn(`External sign-in callback for "${scheme.slice(0, 64)}" with a state that is unknown, used already or expired`);
      throw new ExternalSignInError(
        'invalid_request',
        'This sign-in link is no longer valid (it was used already, has expired, or was changed). Start the sign-in again.',
      );
    }
    if (state.scheme !== scheme) {
      this.logger.warn(`External sign-in callback for "${scheme.slice(0, 64)}" with the state of a sign-in through "${state.scheme}"`);
      throw new ExternalSignInError('invalid_request', 'This sign-in answer does not belong to the sign-in that was started. Start the sign-in again.', state.returnUrl);
    }
    if (cookie === undefined || !sameHash(sha256(cookie), state.correlation)) {
      this.logger.warn(`External sign-in callback for "${scheme}" from a browser that did not start that sign-in (correlation cookie missing or different)`);
      throw new ExternalSignInError(
        'invalid_request',
        'This sign-in was started in another browser or window. Start the sign-in again here.',
        state.returnUrl,
      );
    }
    return state;
  }

  private async enabledProvider(scheme: string, returnUrl: string): Promise<ExternalProvider> {
    const provider = await this.providers.findByScheme(scheme);
    if (!provider || !provider.enabled) {
      throw new ExternalSignInError('invalid_request', `There is no sign-in provider "${scheme.slice(0, 64)}" here (unknown or disabled).`, returnUrl);
    }
    return provider;
  }

  private async configurationFor(provider: ExternalProvider, returnUrl: string): Promise<oidc.Configuration> {
    try {
      return await this.clients.configurationFor(provider);
    } catch (error) {
      this.logger.error(
        `External provider "${provider.scheme}": cannot read its discovery document at ${provider.authority} (${describe(error)}); check its authority and that it is reachable from this server`,
      );
      throw new ExternalSignInError(
        'temporarily_unavailable',
        `${provider.displayName} cannot be reached right now. Try again later, or sign in another way.`,
        returnUrl, 502,
      );
    }
  }

  /** RFC 6749 §4.1.2.1: the provider answered with an error (the user cancelled, or it refused). */
  private providerRefused(provider: ExternalProvider, parameters: CallbackParameters, returnUrl: string): ExternalSignInError {
    const code = parameters.error ?? 'error';
    this.logger.warn(`External provider "${provider.scheme}" answered ${code.slice(0, 64)}${parameters.error_description ? `: ${parameters.error_description.slice(0, 200)}` : ''}`);
    const message = code === 'access_denied'
      ? `You did not sign in at ${provider.displayName} (access was denied or the sign-in was cancelled).`
      : `${provider.displayName} could not sign you in (${code.slice(0, 64)}).`;
    return new ExternalSignInError(code === 'access_denied' ? 'access_denied' : 'external_sign_in_failed', `${message} Go back to sign in another way.`, returnUrl);
  }

  /**
   * The local subject linked to (scheme, external sub): the existing link, else a new user and
   * link when the provider auto-provisions. Two first sign-ins at once end on one link.
   */
  private async localSubjectOf(
    provider: ExternalProvider, externalSubject: string, claims: Readonly<Record<string, ClaimValue>>, returnUrl: string,
  ): Promise<string> {
    const now = this.clock.now();
    const existing = await this.links.find(provider.scheme, externalSubject);
    if (existing) {
      await this.links.recordSignIn(provider.scheme, externalSubject, claims, now);
      return existing.subjectId;
    }
    if (!provider.autoProvision) {
      this.logger.warn(`External provider "${provider.scheme}": no local user is linked to one of its users and autoProvision is off; link it, or set autoProvision`);
      throw new ExternalSignInError(
        'access_denied',
        `Your ${provider.displayName} account is not linked to an account here. Ask an administrator to link it, or sign in another way.`,
        returnUrl, 403,
      );
    }
    const subjectId = randomUUID();
    const created = await this.links.create({
      scheme: provider.scheme, externalSubject, subjectId, provisioned: true, claims, created: now, lastSignIn: now,
    });
    if (created) return subjectId;
    const winner = await this.links.find(provider.scheme, externalSubject);
    if (!winner) throw new Error(`the link of an external user of "${provider.scheme}" vanished while it was created`);
    return winner.subjectId;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
