/**
 * Public face of data protection. Everything that protects data at rest or in the browser
 * (signing keys, persisted grants, cookies, sessions, UI payloads) goes through these two classes.
 */
export interface ProtectOptions {
  /** the payload stops unprotecting after this instant */
  readonly expiresAt?: Date;
}

export abstract class DataProtector {
  abstract readonly purposes: readonly string[];
  /** Authenticated encryption; the payload is URL-safe text carrying format version and key id. */
  abstract protect(plaintext: string | Uint8Array, options?: ProtectOptions): Promise<string>;
  /** Throws UnprotectError (never anything else) when the payload cannot be read. */
  abstract unprotect(payload: string): Promise<string>;
  abstract unprotectBytes(payload: string): Promise<Uint8Array>;
  /** A protector whose purpose chain extends this one's. */
  abstract createProtector(purpose: string, ...subPurposes: string[]): DataProtector;
}

export abstract class DataProtectionProvider {
  abstract createProtector(purpose: string, ...subPurposes: string[]): DataProtector;
}

export type UnprotectFailure = 'key-not-found' | 'key-revoked' | 'malformed' | 'tampered-or-wrong-purpose' | 'expired';

/** The one error unprotect throws; callers turn it into a clean protocol response. */
export class UnprotectError extends Error {
  constructor(readonly reason: UnprotectFailure, message: string, readonly keyId?: string) {
    super(message);
    this.name = 'UnprotectError';
  }
}
