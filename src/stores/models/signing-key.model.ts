/**
 * A managed signing key as persisted. `data` holds the private key (a JWK, plus the X.509
 * certificate when wrapped) — protected by data protection when `dataProtected` is true.
 */
export interface SerializedSigningKey {
  readonly id: string;
  readonly version: number;
  readonly created: Date;
  readonly algorithm: string;
  readonly isX509Certificate: boolean;
  readonly dataProtected: boolean;
  readonly data: string;
}
