import { JSON_OPTION, type CliCommand, type CliOutput } from '../common/cli-command';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ephemeralKeyRingFinding, inMemoryDatabaseKeyRing } from './checks/data-protection-persistence.check';
import { issuerSchemeFindings } from './checks/issuer-scheme.check';
import { gitStatusOf, keyFolderFinding, keyFoldersOf } from './checks/key-folder-git.check';
import { keyRingEncryptionFindings } from './checks/key-ring-encryption.check';
import { databaseDialect, sqliteFileOf } from '../database/data-source-options';
import type { DoctorFinding } from './deployment-check';
import { DEPLOYMENT_CHECK_FAILED, DeploymentCheckRunner } from './deployment-check.runner';
import { DeploymentModule } from './deployment.module';

function print(findings: readonly DoctorFinding[], json: boolean, out: CliOutput): number {
  if (json) {
    out.json({ findings: findings.map(({ id, severity, message, fix }) => ({ id, severity, message, fix })) });
  } else if (findings.length === 0) {
    out.line('No findings: nothing the deployment checks look for is wrong.');
  } else {
    for (const f of findings) out.line(`${f.severity.toUpperCase()} ${f.id}: ${f.message} Fix: ${f.fix}`);
  }
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/**
 * When the command's context cannot start (no database to open: an in-memory or unmigrated one,
 * PostgreSQL down), the checks that need only the settings still run, and the failure itself is
 * a finding: doctor reports what it can instead of failing with one line.
 */
async function settingsOnlyFindings(config: AppConfig, failure: string): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  if (inMemoryDatabaseKeyRing(config)) findings.push(ephemeralKeyRingFinding(config, 'memory'));
  findings.push(...keyRingEncryptionFindings(config));
  for (const folder of keyFoldersOf(config)) findings.push(...keyFolderFinding(folder, await gitStatusOf(folder.path)));
  findings.push(...issuerSchemeFindings(config));
  // An in-memory database would be a new, empty one in this process: there is nothing more to read.
  const inMemory = databaseDialect(config.database.url) === 'sqlite' && sqliteFileOf(config.database.url) === undefined;
  if (!inMemory) {
    findings.push({
      id: DEPLOYMENT_CHECK_FAILED,
      severity: 'error',
      message: `The checks that read the database, the key ring and the instance registry could not run: ${failure}.`,
      fix: 'Make DATABASE_URL reachable and migrated (npm run cli -- migrate) and run doctor again (docs/cli.md#doctor).',
    });
  }
  return findings;
}

/** `npm run cli -- doctor [--json]` (docs/cli.md): every deployment check, read-only; exit 1 on any error finding. */
export const doctorCommand: CliCommand = {
  name: 'doctor',
  description: 'check the deployment for common mistakes and print each finding with its fix',
  access: 'read-only',
  options: [JSON_OPTION],
  imports: [DeploymentModule.forCli()],
  async run(app, args, out) {
    return print(await app.get(DeploymentCheckRunner).run('cli'), args.json, out);
  },
  async runWithoutContext(app, failure, args, out) {
    return print(await settingsOnlyFindings(app.get<AppConfig>(APP_CONFIG), failure), args.json, out);
  },
};

export const DEPLOYMENT_COMMANDS: readonly CliCommand[] = [doctorCommand];
