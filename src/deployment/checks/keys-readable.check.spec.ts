import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { WriteAccess } from '../../common/write-access';
import type { InMemoryDataProtectionKeyStore } from '../../data-protection/in-memory-data-protection-key.store';
import { KeyMaterialEncryptor } from '../../data-protection/key-material.encryptor';
import { KeyRingDataProtectionProvider } from '../../data-protection/key-ring.data-protection.provider';
import { KeyRingService } from '../../data-protection/key-ring.service';
import { KeyManager } from '../../key-management/key-manager.service';
import {
  FakeClock, InMemorySigningKeyStore, keyConfig, NamedDataProtectionKeyStore,
} from '../../../test/support/fakes/key-management.fakes';
import { KeysReadableCheck } from './keys-readable.check';

const masterKey = randomBytes(32);

/** One instance over shared stores, as the server (read-write) or `doctor` (read-only) builds it. */
async function instance(options: {
  clock: FakeClock; signing: InMemorySigningKeyStore; ring: InMemoryDataProtectionKeyStore; key?: Buffer;
  env?: Record<string, string>; access?: WriteAccess;
}) {
  const config = keyConfig(options.env);
  const access = options.access ?? WriteAccess.readWrite;
  const ring = new KeyRingService(options.ring, new KeyMaterialEncryptor(options.key ?? masterKey, undefined), options.clock, config, access);
  await ring.onModuleInit();
  ring.onModuleDestroy();
  const manager = new KeyManager(options.signing, options.clock, config, new KeyRingDataProtectionProvider(ring, options.clock), access, ring);
  await manager.onModuleInit();
  return { manager, ring, check: new KeysReadableCheck(manager, ring, options.clock) };
}

describe('KeysReadableCheck', () => {
  beforeAll(() => Logger.overrideLogger(false));

  async function fleet() {
    const clock = new FakeClock();
    const signing = new InMemorySigningKeyStore();
    const ring = new NamedDataProtectionKeyStore(['identity-server']);
    const a = await instance({ clock, signing, ring });
    return { clock, signing, ring, a };
  }

  it('run, on a healthy instance, should find nothing', async () => {
    const { a } = await fleet();
    expect(await a.check.run('server')).toEqual([]);
    expect(await a.check.run('cli')).toEqual([]);
  });

  it('run, with another application name, should report the unreadable keys and the mismatch naming the stored name, as errors', async () => {
    const { clock, signing } = await fleet();
    const [kid] = [...signing.rows.keys()];
    const b = await instance({
      clock, signing, ring: new NamedDataProtectionKeyStore(['identity-server', 'renamed']), env: { DATA_PROTECTION_APPLICATION_NAME: 'renamed' },
    });
    const findings = await b.check.run('server');
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['signing-keys-unreadable', 'error'], ['application-name-mismatch', 'error']]);
    expect(findings[0].message).toContain(kid);
    expect(findings[1].message).toMatch(/DATA_PROTECTION_APPLICATION_NAME is "renamed".*"identity-server"/);
    expect(findings[1].fix).toBe('Set DATA_PROTECTION_APPLICATION_NAME=identity-server (the name the stored keys were made with) on this instance, the same on every instance.');
  });

  it('run, with another master key, should report the unreadable ring and signing keys, fixes naming DATA_PROTECTION_MASTER_KEY', async () => {
    const { clock, signing, ring } = await fleet();
    const b = await instance({ clock, signing, ring, key: randomBytes(32) });
    const findings = await b.check.run('server');
    expect(findings.map((f) => f.id)).toEqual(['key-ring-unreadable', 'signing-keys-unreadable']);
    for (const finding of findings) expect(finding.fix).toMatch(/DATA_PROTECTION_MASTER_KEY or DATA_PROTECTION_CERTIFICATE/);
    expect(findings[0].message).toContain((await ring.loadAll())[0].id);
  });

  it('run in the CLI (read-only), should read both stores afresh and find the same, writing nothing', async () => {
    const { clock, signing, ring } = await fleet();
    const before = { signing: [...signing.rows.keys()], ring: (await ring.loadAll()).map((k) => k.id) };
    const doctor = await instance({ clock, signing, ring, key: randomBytes(32), access: WriteAccess.readOnly });
    expect(await doctor.check.run('server')).toEqual([]);
    expect((await doctor.check.run('cli')).map((f) => f.id)).toEqual(['key-ring-unreadable', 'signing-keys-unreadable']);
    expect({ signing: [...signing.rows.keys()], ring: (await ring.loadAll()).map((k) => k.id) }).toEqual(before);
  });

  it('run, when the store holds several application names but every key is readable, should warn only', async () => {
    const clock = new FakeClock();
    const a = await instance({ clock, signing: new InMemorySigningKeyStore(), ring: new NamedDataProtectionKeyStore(['identity-server', 'billing']) });
    const findings = await a.check.run('server');
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['several-application-names', 'warning']]);
    expect(findings[0].message).toContain('"billing"');
  });
});
