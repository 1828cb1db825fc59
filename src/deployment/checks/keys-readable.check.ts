import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { KeyRingService } from '../../data-protection/key-ring.service';
import { KeyManager } from '../../key-management/key-manager.service';
import { unreadableKeyFix, type UnreadableSigningKey } from '../../key-management/unreadable-signing-key';
import { DeploymentCheck, type DeploymentCheckContext, type DoctorFinding } from '../deployment-check';

/** The server asks the key store for its application names at most this often (the indicator is polled). */
const NAMES_CACHE_MS = 60_000;

const quote = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

/**
 * Signing keys and data-protection keys this instance cannot read (docs/deployment.md#signing-keys-on-hold):
 * the state that puts it on hold, with the likely cause and the setting to fix. In the server it
 * reports what the last check saw; in `doctor` (read-only) it reads both stores afresh.
 */
@Injectable()
export class KeysReadableCheck extends DeploymentCheck {
  readonly name = 'keys-readable';
  private names?: { readonly at: number; readonly value: Promise<string[]> };

  constructor(private readonly keys: KeyManager, private readonly ring: KeyRingService, private readonly clock: Clock) {
    super();
  }

  async run(context: DeploymentCheckContext): Promise<readonly DoctorFinding[]> {
    if (context === 'cli') {
      // Fresh reads: the ring first, since the signing keys' diagnosis asks which ring keys it could not decrypt.
      await this.ring.listKeys();
      if (this.keys.enabled) await this.keys.listKeys();
    }
    const signing = this.keys.enabled ? this.keys.getUnreadableKeys() : [];
    const ringKeys = this.ring.getUnreadableKeys();
    const own = this.ring.applicationName;
    const others = (await this.applicationNames(context)).filter((name) => name !== own);
    const findings: DoctorFinding[] = [];

    if (ringKeys.length > 0) {
      findings.push({
        id: 'key-ring-unreadable',
        severity: 'error',
        message: `The data-protection key ring of "${own}" in ${this.ring.location} holds ${ringKeys.length} key(s) this instance cannot decrypt `
          + `(${ringKeys.map((k) => k.id).join(', ')}): ${ringKeys[0].message}. It creates no data-protection key and answers 503 where it must protect data without one.`,
        fix: unreadableKeyFix('master-key-or-certificate'),
      });
    }
    if (signing.length > 0) {
      findings.push({
        id: 'signing-keys-unreadable',
        severity: 'error',
        message: `${signing.length} stored signing key(s) cannot be unprotected by this instance: ${signing.map(describe).join('; ')}. `
          + 'Key management is on hold: this instance creates no signing key and changes no stored key until they can be read.',
        fix: unreadableKeyFix(signing[0].cause),
      });
    }
    const byName = signing.filter((k) => k.cause === 'application-name');
    if (byName.length > 0) {
      findings.push({
        id: 'application-name-mismatch',
        severity: 'error',
        message: `Signing key(s) ${byName.map((k) => k.kid).join(', ')} were protected under another application name: this instance's `
          + `DATA_PROTECTION_APPLICATION_NAME is "${own}", and the data-protection key store holds key rings made under ${quote(others)}.`,
        fix: others.length === 1
          ? `Set DATA_PROTECTION_APPLICATION_NAME=${others[0]} (the name the stored keys were made with) on this instance, the same on every instance.`
          : unreadableKeyFix('application-name'),
      });
    } else if (others.length > 0 && signing.length === 0 && ringKeys.length === 0) {
      findings.push({
        id: 'several-application-names',
        severity: 'warning',
        message: `The data-protection key store (${this.ring.location}) holds key rings of several application names: ${quote([own, ...others])}; `
          + `this instance uses "${own}". That is right only if these are separate applications sharing the store.`,
        fix: 'Give every instance of one deployment the same DATA_PROTECTION_APPLICATION_NAME, and remove key rings of names no longer used.',
      });
    }
    return findings;
  }

  private applicationNames(context: DeploymentCheckContext): Promise<string[]> {
    const now = this.clock.now().getTime();
    if (context === 'cli' || !this.names || now - this.names.at >= NAMES_CACHE_MS) {
      const value = this.ring.applicationNames();
      // A failed read is not cached: the runner reports it, and the next run asks again.
      value.catch(() => { this.names = undefined; });
      this.names = { at: now, value };
    }
    return this.names.value;
  }
}

function describe(key: UnreadableSigningKey): string {
  return `${key.kid} (${key.alg}, ${key.cause}): ${key.message}`;
}
