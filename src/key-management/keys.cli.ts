import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { KeyManagerModule } from './key-manager.module';
import { KeyManager, type KeyListEntry } from './key-manager.service';

function toJson(entry: KeyListEntry) {
  return {
    kid: entry.kid,
    alg: entry.alg,
    created: entry.created.toISOString(),
    phase: entry.phase,
    nextPhaseAt: entry.nextPhaseAt?.toISOString() ?? null,
    x509: entry.x509,
  };
}

/** `npm run cli -- keys list [--json]` (docs/cli.md): reads the store, creates nothing. */
export const keysListCommand: CliCommand = {
  name: 'keys list',
  description: 'list signing keys: kid, algorithm, created, phase and when it changes',
  access: 'read-only',
  options: [JSON_OPTION],
  imports: [KeyManagerModule],
  async run(app, args, out) {
    const keys = await app.get(KeyManager).listKeys();
    if (args.json) {
      out.json({ keys: keys.map(toJson) });
      return 0;
    }
    if (keys.length === 0) {
      out.line('No managed signing keys.');
      return 0;
    }
    const rows = keys.map((k) => [k.kid, k.alg, k.created.toISOString(), k.readable ? k.phase : `${k.phase} (unreadable)`, k.nextPhaseAt?.toISOString() ?? '-', k.x509 ? 'yes' : 'no']);
    const header = ['KID', 'ALG', 'CREATED', 'PHASE', 'NEXT PHASE AT', 'X509'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [header, ...rows]) out.line(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
    return 0;
  },
};

/** `npm run cli -- keys rotate [--json]`: announce a new key per algorithm now. */
export const keysRotateCommand: CliCommand = {
  name: 'keys rotate',
  description: 'announce a new signing key now (it signs after the propagation time)',
  access: 'writes',
  options: [JSON_OPTION],
  imports: [KeyManagerModule],
  async run(app, args, out) {
    const manager = app.get(KeyManager);
    if (!manager.enabled) {
      out.error('Automatic key management is disabled (KEY_MANAGEMENT_ENABLED=false): rotate static keys by hand.');
      return 1;
    }
    const created = new Set(await manager.rotateNow());
    const keys = (await manager.listKeys()).filter((k) => created.has(k.kid));
    if (args.json) {
      out.json({ keys: keys.map(toJson) });
      return 0;
    }
    for (const key of keys) {
      out.line(`Announced ${key.alg} key ${key.kid}; it signs from ${key.nextPhaseAt?.toISOString() ?? 'the next check'}.`);
    }
    return 0;
  },
};

export const KEYS_COMMANDS: readonly CliCommand[] = [keysListCommand, keysRotateCommand];
