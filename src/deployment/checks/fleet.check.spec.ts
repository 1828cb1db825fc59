import type { InstanceRow } from '../instance.entity';
import { fleetFindings, fleetFindingsForInstance } from './fleet.check';

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

describe('fleetFindingsForInstance', () => {
  const fleet = [instance('a'), instance('b', { cacheKind: 'in-process', applicationName: 'other' })];

  it('on the oldest live instance, should list the conflicts as warnings so the fleet keeps serving', () => {
    expect(fleetFindingsForInstance(fleet, 'a').map((f) => [f.id, f.severity])).toEqual([
      ['in-process-cache-with-several-instances', 'warning'], ['instances-disagree-on-application-name', 'warning'],
    ]);
  });

  it('on any other instance, or one missing from the registry, should keep them errors', () => {
    expect(fleetFindingsForInstance(fleet, 'b').map((f) => f.severity)).toEqual(['error', 'error']);
    expect(fleetFindingsForInstance(fleet, 'unknown').map((f) => f.severity)).toEqual(['error', 'error']);
  });

  describe('with a peer not seen since this instance started (a predecessor killed without leaving the registry?)', () => {
    const at = (time: string) => new Date(`2030-01-01T00:${time}Z`);
    const dead = instance('dead', { cacheKind: 'in-process', startedAt: at('00:00'), lastSeenAt: at('01:00') });
    const restarted = instance('new', { cacheKind: 'in-process', startedAt: at('01:20'), lastSeenAt: at('01:21') });

    it('should list the conflict as a warning, saying why, so the restarted instance stays ready', () => {
      const findings = fleetFindingsForInstance([dead, restarted], 'new');
      expect(findings.map((f) => [f.id, f.severity])).toEqual([['in-process-cache-with-several-instances', 'warning']]);
      expect(findings[0].message).toContain('not been seen since this one started');
    });

    it('once that peer is seen again, should make it an error as before', () => {
      const alive = { ...dead, lastSeenAt: at('01:30') };
      expect(fleetFindingsForInstance([alive, restarted], 'new').map((f) => [f.id, f.severity]))
        .toEqual([['in-process-cache-with-several-instances', 'error']]);
    });

    it('a conflict with a peer seen since then should stay an error beside it', () => {
      const gone = { ...dead, cacheKind: 'redis' as const, keyRingId: 'ring-b' };
      const other = instance('other', { applicationName: 'other', startedAt: at('00:30'), lastSeenAt: at('01:25') });
      const self = { ...restarted, cacheKind: 'redis' as const };
      expect(fleetFindingsForInstance([gone, other, self], 'new').map((f) => [f.id, f.severity])).toEqual([
        ['instances-disagree-on-application-name', 'error'], ['instances-disagree-on-key-ring', 'warning'],
      ]);
    });
  });
});
