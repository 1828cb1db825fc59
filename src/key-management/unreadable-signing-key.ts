/**
 * Why a stored signing key cannot be read, and what to change (docs/deployment.md#signing-keys-on-hold):
 * - `application-name`: the key's data-protection key is not in this instance's ring, and the key
 *   store holds rings under other application names (DATA_PROTECTION_APPLICATION_NAME differs);
 * - `master-key-or-certificate`: the data-protection key is in the ring but cannot be decrypted;
 * - `tampered-or-other`: the payload was changed, its data-protection key removed or revoked, or
 *   the key data does not import.
 */
export type UnreadableKeyCause = 'application-name' | 'master-key-or-certificate' | 'tampered-or-other';

/** A stored signing key, not yet expired, that this instance cannot unprotect or import. */
export interface UnreadableSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly cause: UnreadableKeyCause;
  /** what failed, naming the data-protection key and, for `application-name`, the names found */
  readonly message: string;
}

/** The fix in one sentence, naming the setting (logs, the doctor). */
export function unreadableKeyFix(cause: UnreadableKeyCause): string {
  switch (cause) {
    case 'application-name':
      return 'Set DATA_PROTECTION_APPLICATION_NAME to the name the stored keys were made with, the same on every instance sharing the key store.';
    case 'master-key-or-certificate':
      return 'Start with the DATA_PROTECTION_MASTER_KEY or DATA_PROTECTION_CERTIFICATE the key ring was encrypted with '
        + '(a renewed certificate\'s predecessor in DATA_PROTECTION_UNPROTECT_CERTIFICATES), the same on every instance.';
    case 'tampered-or-other':
      return 'Check that every instance uses the same key stores (KEY_MANAGEMENT_KEY_STORE, DATA_PROTECTION_KEY_STORE) and that the stored '
        + 'key was not altered or its data-protection key revoked; restore it from a backup, or remove it once no instance signs with it.';
  }
}

/** Thrown by `rotateNow` (`keys rotate`) while stored keys cannot be read: no key is created. */
export class SigningKeysOnHoldError extends Error {
  constructor(readonly keys: readonly UnreadableSigningKey[]) {
    super(`Refusing to create a signing key: this instance cannot read ${keys.length} stored signing key(s) `
      + `(${keys.map((k) => `${k.kid}: ${k.cause}`).join('; ')}). ${unreadableKeyFix(keys[0].cause)}`);
    this.name = 'SigningKeysOnHoldError';
  }
}
