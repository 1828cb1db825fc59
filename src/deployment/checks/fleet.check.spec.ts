import type { InstanceRow } from '../instance.entity';
import { fleetFindings } from './fleet.check';

function instance(id: string, overrides: Partial<InstanceRow> = {}): InstanceRow {
  const seen = new Date('2030-01-01T00:00:00Z');
  return {
    id, host: `host-${id}`, version: '1.0.0', applicationName: 'identity-server', keyRingId: 'ring-a', cacheKind: 'redis',
    startedAt: seen, lastSeenAt: seen, untrustedForwardedHeaders: 0, lastUntrustedPeer: null, ...overrides,
  };
}

describe('fleetFindings', () => {
  it('when one instance runs with an in-process cache, should find nothing', () => {
    expect(fleetFindings([instance('a', { cacheKind: 'in-process' })])).toEqual([]);
  });

  it('when several instances share Redis, one ring and one application name, should find nothing', () => {
    expect(fleetFindings([instance('a'), instance('b')])).toEqual([]);
  });

  it('when several instances run and one has an in-process cache, should be an error naming it and REDIS_URL', () => {
    const [finding] = fleetFindings([instance('a'), instance('b', { cacheKind: 'in-process' })]);
    expect(finding).toMatchObject({ id: 'in-process-cache-with-several-instances', severity: 'error', message: expect.stringContaining('host-b') });
    expect(finding.fix).toContain('REDIS_URL');
  });

  it('when application names differ, should report that once and not also the key rings', () => {
    const findings = fleetFindings([instance('a'), instance('b', { applicationName: 'other', keyRingId: 'ring-b' })]);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([['instances-disagree-on-application-name', 'error']]);
  });

  it('when instances of one application read different rings, should be an error', () => {
    const findings = fleetFindings([instance('a'), instance('b', { keyRingId: 'ring-b' }), instance('c')]);
    expect(findings.map((f) => f.id)).toEqual(['instances-disagree-on-key-ring']);
    expect(findings[0].message).toContain('ring ring-b on host-b');
  });
});
