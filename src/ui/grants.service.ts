import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ConsentService } from '../consent/consent.service';
import { OFFLINE_ACCESS_SCOPE } from '../protocol/scopes';
import { ResourceCatalog } from '../resources/resource-catalog';
import { ClientStore } from '../stores/client.store';
import { PERSISTED_GRANT_TYPES, type PersistedGrant } from '../stores/models';
import { PersistedGrantStore } from '../stores/persisted-grant.store';
import { RefreshTokenService } from '../token-issuance/refresh-token.service';
import { clientDisplayName } from './consent-page-model';
import { OFFLINE_ACCESS_CONSENT_SCOPE, type ConsentScopeModel, type GrantModel } from './ui';

/**
 * What the `/grants` page shows and does: per client, the user's remembered consent and live
 * refresh tokens; revoking forgets the consent and ends every refresh token (and reference
 * token) the client holds for that user — only that user's, whatever client id is posted.
 */
@Injectable()
export class GrantsService {
  constructor(
    private readonly grants: PersistedGrantStore,
    private readonly consents: ConsentService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly clients: ClientStore,
    private readonly catalog: ResourceCatalog,
    private readonly clock: Clock,
  ) {}

  async list(subjectId: string): Promise<GrantModel[]> {
    const now = this.clock.now().getTime();
    const live = (grant: PersistedGrant) => !grant.consumedTime && (!grant.expiration || grant.expiration.getTime() > now);
    const [tokens, consents] = await Promise.all([
      this.grants.getAll({ subjectId, type: PERSISTED_GRANT_TYPES.refreshToken }),
      this.grants.getAll({ subjectId, type: PERSISTED_GRANT_TYPES.userConsent }),
    ]);
    const byClient = new Map<string, PersistedGrant[]>();
    for (const grant of [...tokens, ...consents].filter(live).sort((a, b) => a.creationTime.getTime() - b.creationTime.getTime())) {
      byClient.set(grant.clientId, [...(byClient.get(grant.clientId) ?? []), grant]);
    }
    const index = await this.catalog.getIndex();
    const describe = (scope: string): ConsentScopeModel => {
      if (scope === OFFLINE_ACCESS_SCOPE) return OFFLINE_ACCESS_CONSENT_SCOPE;
      const resource = index.identityResources.get(scope) ?? index.apiScopes.get(scope);
      return { name: scope, displayName: resource?.displayName ?? scope };
    };
    const result: GrantModel[] = [];
    for (const [clientId, grants] of byClient) {
      const client = await this.clients.findClientById(clientId);
      const remembered = grants.some((g) => g.type === PERSISTED_GRANT_TYPES.userConsent)
        ? (await this.consents.getRememberedScopes(subjectId, clientId)) ?? []
        : [];
      const refreshTokens = grants.filter((g) => g.type === PERSISTED_GRANT_TYPES.refreshToken).length;
      if (remembered.length === 0 && refreshTokens === 0) continue;
      result.push({
        clientId,
        clientName: client ? clientDisplayName(client) : clientId,
        ...(client?.logoUri !== undefined && { clientLogoUri: client.logoUri }),
        rememberedScopes: remembered.map(describe),
        refreshTokens,
        created: grants[0].creationTime,
      });
    }
    return result;
  }

  /** Ends what `clientId` holds for the subject; returns the client's display name. */
  async revoke(subjectId: string, clientId: string): Promise<string> {
    await this.consents.forget(subjectId, clientId);
    const client = await this.clients.findClientById(clientId);
    if (client) {
      await this.refreshTokens.revokeAllForSubject(subjectId, client);
      return clientDisplayName(client);
    }
    // A client removed from the configuration can redeem nothing; its leftovers simply go.
    await this.grants.removeAll({ subjectId, clientId, type: PERSISTED_GRANT_TYPES.refreshToken });
    await this.grants.removeAll({ subjectId, clientId, type: PERSISTED_GRANT_TYPES.referenceToken });
    return clientId;
  }
}
