import type { ApiScope, Client, IdentityResource } from '../stores/models';
import { OFFLINE_ACCESS_CONSENT_SCOPE, type ConsentPageModel, type UiLanguage } from './ui';

/**
 * What a consent page asks the user about: the client and the resources behind the requested
 * scopes. An authorization request (ConsentInteractionService) and a device authorization
 * (DeviceInteractionService) both describe themselves this way, so both pages look the same.
 */
export interface ConsentPageRequest {
  readonly client: Pick<Client, 'clientId' | 'clientName' | 'logoUri'>;
  readonly identityResources: readonly Pick<IdentityResource, 'name' | 'displayName'>[];
  readonly apiScopes: readonly Pick<ApiScope, 'name' | 'displayName'>[];
  readonly offlineAccess: boolean;
}

/** The form around the question: where it posts, and who is asked. */
export interface ConsentPageForm {
  readonly language?: UiLanguage;
  readonly action: string;
  readonly antiforgeryToken: string;
  /** posted back unchanged (docs/endpoints.md) */
  readonly returnUrl: string;
  readonly userDisplayName?: string;
}

/** The name a page shows for a client: its display name, else its id. */
export function clientDisplayName(client: Pick<Client, 'clientId' | 'clientName'>): string {
  return client.clientName ?? client.clientId;
}

/**
 * The one consent page model. offline_access is neither an identity resource nor an API scope,
 * so it is listed last among the API scopes under its own wording.
 */
export function buildConsentPageModel(form: ConsentPageForm, request: ConsentPageRequest): ConsentPageModel {
  return {
    ...(form.language !== undefined && { language: form.language }),
    action: form.action,
    antiforgeryToken: form.antiforgeryToken,
    returnUrl: form.returnUrl,
    clientName: clientDisplayName(request.client),
    ...(request.client.logoUri !== undefined && { clientLogoUri: request.client.logoUri }),
    userDisplayName: form.userDisplayName,
    identityScopes: request.identityResources.map((r) => ({ name: r.name, displayName: r.displayName ?? r.name })),
    apiScopes: [
      ...request.apiScopes.map((s) => ({ name: s.name, displayName: s.displayName ?? s.name })),
      ...(request.offlineAccess ? [OFFLINE_ACCESS_CONSENT_SCOPE] : []),
    ],
    allowRemember: true,
  };
}
