import { Inject, Injectable } from '@nestjs/common';
import { DeploymentCheck, type DeploymentCheckContext, type DoctorFinding } from './deployment-check';

/** Every DeploymentCheck listed in DeploymentModule, in order. */
export const DEPLOYMENT_CHECKS = Symbol('DEPLOYMENT_CHECKS');

export const DEPLOYMENT_CHECK_FAILED = 'deployment-check-failed';

/** One check's budget: the `deployment` indicator must answer within its own (DEPLOYMENT_HEALTH_TIMEOUT_MS). */
export const CHECK_TIMEOUT_MS = 2_500;

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every check at once and lists their findings in the checks' order. A check that throws
 * or hangs is itself a finding (an error: what it looks at is unknown), so one broken check
 * never hides the others' findings, nor crashes `doctor` or /health.
 */
@Injectable()
export class DeploymentCheckRunner {
  constructor(@Inject(DEPLOYMENT_CHECKS) private readonly checks: readonly DeploymentCheck[]) {}

  async run(context: DeploymentCheckContext): Promise<DoctorFinding[]> {
    const results = await Promise.all(this.checks.map(async (check): Promise<readonly DoctorFinding[]> => {
      try {
        return await within(Promise.resolve().then(() => check.run(context)), CHECK_TIMEOUT_MS);
      } catch (error) {
        return [{
          id: DEPLOYMENT_CHECK_FAILED,
          severity: 'error',
          message: `The ${check.name} check could not run: ${error instanceof Error ? error.message : String(error)}.`,
          fix: 'Make what the message names reachable (usually DATABASE_URL or REDIS_URL) and check again (docs/deployment.md#checking-a-deployment).',
        }];
      }
    }));
    return results.flat();
  }
}
