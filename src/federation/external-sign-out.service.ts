import { Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { PAGE_PATHS } from '../protocol/paths';
import type { UserSession } from '../sessions/user-session';
import { ExternalProviderStore } from '../stores/external-provider.store';
import { ExternalProviderClients } from './external-provider-clients';

/**
 * Logout at the external provider a user signed in with (OIDC RP-Initiated Logout 1.0): the
 * provider's end_session_endpoint with the id token it issued as id_token_hint, coming back to
 * our logout page (`post_logout_redirect_uri` = {issuer}/account/logout, which the provider must
 * have registered), which then shows the signed-out page. `state` carries our logout context.
 */
@Injectable()
export class ExternalSignOutService {
  private readonly logger = new Logger(ExternalSignOutService.name);

  constructor(private readonly providers: ExternalProviderStore, private readonly clients: ExternalProviderClients) {}

  /** Where to send the browser after the local sign-out; undefined when the session is local or the provider has no end_session_endpoint. */
  async endSessionUrl(session: UserSession, issuer: string, state: string): Promise<string | undefined> {
    if (session.idp === undefined || session.externalIdToken === undefined) return undefined;
    const provider = await this.providers.findByScheme(session.idp);
    if (!provider || !provider.enabled) return undefined;
    let configuration: oidc.Configuration;
    try {
      configuration = await this.clients.configurationFor(provider);
    } catch (error) {
      // The local sign-out is done; the provider's session stays, and that is logged.
      this.logger.warn(`Signed out locally but not at external provider "${provider.scheme}": its discovery document cannot be read (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    }
    if (!configuration.serverMetadata().end_session_endpoint) return undefined;
    return oidc.buildEndSessionUrl(configuration, {
      id_token_hint: session.externalIdToken,
      post_logout_redirect_uri: `${issuer}${PAGE_PATHS.logout}`,
      state,
    }).href;
  }
}
