import { Logger } from '@nestjs/common';
import { HealthCheckRegistry } from '../health/health-check.registry';
import type { DoctorFinding } from './deployment-check';
import type { DeploymentCheckRunner } from './deployment-check.runner';
import { DeploymentHealthIndicator } from './deployment.health';

const error: DoctorFinding = { id: 'issuer-http-in-production', severity: 'error', message: 'ISSUER_URI is http://x.', fix: 'Set ISSUER_URI to https.' };
const warning: DoctorFinding = { id: 'key-ring-unencrypted', severity: 'warning', message: 'unencrypted.', fix: 'Set DATA_PROTECTION_MASTER_KEY.' };

function setup() {
  const runner = { findings: [] as DoctorFinding[], async run() { return this.findings; } };
  const registry = new HealthCheckRegistry();
  const indicator = new DeploymentHealthIndicator(runner as unknown as DeploymentCheckRunner, registry);
  indicator.onModuleInit();
  return { runner, check: registry.list()[0].check };
}

describe('DeploymentHealthIndicator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('should register `deployment`: up with the warnings listed, down on an error, findings listed in both', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { runner, check } = setup();
    runner.findings = [warning];
    expect(await check()).toEqual({ deployment: { status: 'up', findings: [warning] } });
    runner.findings = [error, warning];
    expect(await check()).toEqual({ deployment: { status: 'down', findings: [error, warning] } });
  });

  it('should log an error finding once when it appears, not on every poll, and again when it comes back', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { runner, check } = setup();
    runner.findings = [error, warning];
    await check();
    await check();
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0][0]).toBe('Deployment check issuer-http-in-production: ISSUER_URI is http://x. Fix: Set ISSUER_URI to https.');
    runner.findings = [];
    await check();
    runner.findings = [error];
    await check();
    expect(logged).toHaveBeenCalledTimes(2);
  });
});
