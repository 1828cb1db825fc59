/**
 * One finding of the deployment checks (docs/cli.md `doctor`, docs/health.md `deployment`):
 * a stable id, how bad it is, what was found, and the fix in one sentence.
 */
export interface DoctorFinding {
  /** stable, kebab-case (e.g. `key-ring-unencrypted`): tests and alerts match on it */
  readonly id: string;
  /** `error` makes `doctor` exit 1 and the `deployment` indicator down; `warning` is listed only */
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** what to change, in one sentence */
  readonly fix: string;
}

/** Where a check runs: in the server (live state, the `deployment` indicator) or in the CLI's `doctor` (read-only, no traffic seen). */
export type DeploymentCheckContext = 'server' | 'cli';

/**
 * A deployment check: a Nest provider listed in DeploymentModule. It never writes (doctor is a
 * read-only command) and never throws for a finding: a check that fails to run is itself
 * reported by the runner as a finding.
 */
export abstract class DeploymentCheck {
  /** short name for logs when the check itself fails */
  abstract readonly name: string;
  abstract run(context: DeploymentCheckContext): Promise<readonly DoctorFinding[]>;
}
