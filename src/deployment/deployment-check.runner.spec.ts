import { DeploymentCheck, type DoctorFinding } from './deployment-check';
import { DeploymentCheckRunner } from './deployment-check.runner';

class FixedCheck extends DeploymentCheck {
  constructor(readonly name: string, private readonly result: () => Promise<readonly DoctorFinding[]>) {
    super();
  }
  run(): Promise<readonly DoctorFinding[]> {
    return this.result();
  }
}

const warning: DoctorFinding = { id: 'w', severity: 'warning', message: 'm', fix: 'f' };

describe('DeploymentCheckRunner', () => {
  it('run, should list every check\'s findings in the checks\' order', async () => {
    const runner = new DeploymentCheckRunner([new FixedCheck('one', async () => [warning]), new FixedCheck('two', async () => [])]);
    expect(await runner.run('cli')).toEqual([warning]);
  });

  it('run, when a check throws, should report it as an error finding and keep the other checks\' findings', async () => {
    const runner = new DeploymentCheckRunner([
      new FixedCheck('broken', async () => { throw new Error('connection refused'); }),
      new FixedCheck('fine', async () => [warning]),
    ]);
    const findings = await runner.run('server');
    expect(findings).toEqual([
      { id: 'deployment-check-failed', severity: 'error', message: 'The broken check could not run: connection refused.', fix: expect.any(String) },
      warning,
    ]);
  });

  it('run, when a check throws synchronously, should still report it', async () => {
    const check = new FixedCheck('sync', () => { throw new Error('boom'); });
    expect((await new DeploymentCheckRunner([check]).run('cli')).map((f) => f.id)).toEqual(['deployment-check-failed']);
  });
});
