import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HealthCheckRegistry } from '../health/health-check.registry';
import type { DoctorFinding } from './deployment-check';
import { DeploymentCheckRunner } from './deployment-check.runner';

/** Budget of the `deployment` indicator: each check has less (CHECK_TIMEOUT_MS). */
export const DEPLOYMENT_HEALTH_TIMEOUT_MS = 3_000;

/** The indicator's details: `{ deployment: { status, findings } }`, findings listed whether up or down. */
export interface DeploymentHealthDetails {
  readonly status: 'up' | 'down';
  readonly findings: DoctorFinding[];
}

/**
 * The `deployment` indicator of /health and /health/ready (docs/health.md): the doctor checks as
 * this server sees them; down on any finding of severity error. Each error finding is logged
 * once when it appears (with its fix), not on every poll; again if it goes and comes back.
 */
@Injectable()
export class DeploymentHealthIndicator implements OnModuleInit {
  private readonly logger = new Logger('Deployment');
  private readonly logged = new Set<string>();

  constructor(private readonly runner: DeploymentCheckRunner, private readonly registry: HealthCheckRegistry) {}

  onModuleInit(): void {
    this.registry.register('deployment', async () => ({ deployment: await this.check() }), { timeoutMs: DEPLOYMENT_HEALTH_TIMEOUT_MS });
  }

  async check(): Promise<DeploymentHealthDetails> {
    const findings = await this.runner.run('server');
    const errors = findings.filter((f) => f.severity === 'error');
    this.logNew(errors);
    return { status: errors.length > 0 ? 'down' : 'up', findings };
  }

  private logNew(errors: readonly DoctorFinding[]): void {
    const current = new Set(errors.map((f) => f.id));
    for (const finding of errors) {
      const key = finding.id;
      if (this.logged.has(key)) continue;
      this.logger.error(`Deployment check ${finding.id}: ${finding.message} Fix: ${finding.fix}`);
    }
    this.logged.clear();
    for (const key of current) this.logged.add(key);
  }
}
