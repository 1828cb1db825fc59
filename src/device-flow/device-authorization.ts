/** The user's answer to a device authorization, once given. */
export type DeviceDecision =
  | {
    readonly approved: true;
    readonly subjectId: string;
    readonly sessionId: string;
    /** epoch ms */
    readonly authTime: number;
    readonly amr: readonly string[];
    /** an external provider's scheme; absent: local */
    readonly idp?: string;
    /** what the user allowed: a subset of the requested scopes */
    readonly scopes: readonly string[];
  }
  | { readonly approved: false };

/** The protected payload of a device-code record. */
export interface DeviceAuthorizationData {
  readonly v: 1;
  readonly clientId: string;
  /** the validated scopes of the device authorization request */
  readonly requestedScopes: readonly string[];
  readonly decision?: DeviceDecision;
}

/** A device authorization as the device flow sees it: record metadata and readable payload. */
export interface DeviceAuthorization {
  readonly deviceCodeHash: string;
  readonly clientId: string;
  readonly creationTime: Date;
  readonly expiration: Date;
  readonly data: DeviceAuthorizationData;
}

export function isDeviceAuthorizationData(value: unknown): value is DeviceAuthorizationData {
  if (!value || typeof value !== 'object') return false;
  const d = value as Record<string, unknown>;
  return d.v === 1 && typeof d.clientId === 'string' && Array.isArray(d.requestedScopes)
    && d.requestedScopes.every((s) => typeof s === 'string')
    && (d.decision === undefined || (typeof d.decision === 'object' && d.decision !== null));
}
