import { JSON_OPTION, type CliCommand } from '../common/cli-command';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { formatDuration } from '../config/duration';
import { IDENTITY_CONFIGURATION } from '../stores/config-file';
import type { IdentityConfiguration } from '../stores/config-file/identity-config.loader';
import type { Client } from '../stores/models';
import { KeyManagerModule } from './key-manager.module';
import { KeyAlreadyWaitingError, KeyManager, type KeyListEntry, type RotationResult } from './key-manager.service';
import { NOTIFIED_PROPAGATION_MS, type KeySetNotice } from './key-set-notifier.service';

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

/** `npm run cli -- keys rotate [--force] [--json]` (docs/cli.md): announce a new key per algorithm now. */
export const keysRotateCommand: CliCommand = {
  name: 'keys rotate',
  description: 'announce a new signing key now (it signs after the propagation time); skips an algorithm whose key is already waiting',
  access: 'writes',
  options: [
    { name: 'force', description: 'announce a new key even when one is already announced and waiting' },
    JSON_OPTION,
  ],
  imports: [KeyManagerModule],
  async run(app, args, out) {
    const manager = app.get(KeyManager);
    if (!manager.enabled) {
      out.error('Automatic key management is disabled (KEY_MANAGEMENT_ENABLED=false): rotate static keys by hand.');
      return 1;
    }
    let result: RotationResult;
    try {
      result = await manager.rotate({ force: args.options?.force === true });
    } catch (error) {
      if (!(error instanceof KeyAlreadyWaitingError)) throw error;
      out.error(`Not rotating: ${error.message}.`);
      return 1;
    }
    const created = new Set(result.created);
    const keys = (await manager.listKeys()).filter((k) => created.has(k.kid));
    const notice = result.notice;
    if (args.json) {
      out.json({
        keys: keys.map(toJson),
        skipped: result.skipped.map((w) => ({ kid: w.kid, alg: w.alg, signsAt: w.signsAt.toISOString() })),
        inJwksBy: notice?.everywhereBy.toISOString() ?? null,
        notified: notice?.notified ?? false,
        notifiedInstances: notice?.notified ? notice.receivers ?? null : null,
      });
      return 0;
    }
    for (const key of keys) {
      out.line(`Announced ${key.alg} key ${key.kid}; it signs from ${key.nextPhaseAt?.toISOString() ?? 'the next check'}.`);
    }
    for (const w of result.skipped) {
      out.line(`Not announcing another ${w.alg} key: ${w.kid} is already announced and signs from ${w.signsAt.toISOString()} (run \`keys rotate --force\` to announce one anyway).`);
    }
    if (notice) out.line(propagationLine(notice, app.get(APP_CONFIG)));
    return 0;
  },
};

/** When every running instance shows the new keys in its JWKS, and why then. */
function propagationLine(notice: KeySetNotice, config: AppConfig): string {
  const by = notice.everywhereBy.toISOString();
  if (notice.notified) {
    const instances = notice.receivers === 1 ? '1 running instance' : `${notice.receivers ?? 0} running instances`;
    return `Every running instance lists it in its JWKS within ${NOTIFIED_PROPAGATION_MS / 1000} s (by ${by}): ${instances} notified through Redis.`;
  }
  const cache = `KEY_MANAGEMENT_KEY_CACHE_DURATION=${formatDuration(config.keyManagement.keyCacheDuration)}`;
  if (notice.failure) return `Redis is unreachable (${notice.failure}): running instances list it in their JWKS by ${by} (${cache}).`;
  return `Running instances list it in their JWKS by ${by} (${cache}; set REDIS_URL to notify them at once).`;
}

/** `npm run cli -- keys plan [--json]` (docs/cli.md): when each manual key step is safe, and why. Read-only. */
export const keysPlanCommand: CliCommand = {
  name: 'keys plan',
  description: 'for each manual step (rotate now, retire the signing key, remove a key), the earliest time it is safe and why',
  access: 'read-only',
  options: [JSON_OPTION],
  imports: [KeyManagerModule],
  async run(app, args, out) {
    const manager = app.get(KeyManager);
    const clients = app.get<IdentityConfiguration>(IDENTITY_CONFIGURATION).clients;
    const steps = manager.enabled ? await manager.plan(longestTokenLifetimeMs(clients)) : [];
    if (args.json) {
      out.json({
        steps: steps.map((s) => ({ action: s.action, kid: s.kid ?? null, alg: s.alg, earliestAt: s.earliestAt.toISOString(), reason: s.reason })),
      });
      return 0;
    }
    if (!manager.enabled) {
      out.line('Automatic key management is disabled (KEY_MANAGEMENT_ENABLED=false): nothing to plan.');
      return 0;
    }
    for (const step of steps) {
      out.line(`${step.action} ${step.alg}${step.kid ? ` ${step.kid}` : ''}: from ${step.earliestAt.toISOString()} — ${step.reason}`);
    }
    return 0;
  },
};

/** The longest lifetime of a signed token: access and identity tokens of every configured client (seconds → ms). */
export function longestTokenLifetimeMs(clients: readonly Client[]): number {
  return Math.max(0, ...clients.flatMap((c) => [c.accessTokenLifetime, c.identityTokenLifetime])) * 1000;
}

export const KEYS_COMMANDS: readonly CliCommand[] = [keysListCommand, keysRotateCommand, keysPlanCommand];
