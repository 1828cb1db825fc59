import type { KeyInfo } from './key-lifecycle';
import { findWaitingKeys, planKeySteps, type KeyPlanOptions, type KeyPlanStep } from './key-plan';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const key = (id: string, createdMs: number, algorithm = 'RS256'): KeyInfo => ({ id, algorithm, created: at(createdMs) });

const options: KeyPlanOptions = {
  rotationInterval: 90 * DAY,
  propagationTime: 14 * DAY,
  retentionDuration: 14 * DAY,
  deleteRetiredKeys: true,
  algorithms: ['RS256'],
  keyCacheDuration: DAY,
  longestTokenLifetime: HOUR,
};

const summary = (steps: readonly KeyPlanStep[]) => steps.map((s) => [s.action, s.kid, s.alg, s.earliestAt.toISOString()]);

describe('planKeySteps', () => {
  it('with one signing key and no successor, should allow rotate now and retire only a propagation time after a rotation', () => {
    const now = at(20 * DAY);
    const steps = planKeySteps([key('k1', 0)], now, options);
    expect(summary(steps)).toEqual([
      ['rotate', undefined, 'RS256', now.toISOString()],
      ['retire', 'k1', 'RS256', at(34 * DAY).toISOString()],
      // it signs until 90d; +24h key cache +1h longest token lifetime
      ['remove', 'k1', 'RS256', at(90 * DAY + 25 * HOUR).toISOString()],
    ]);
    expect(steps[0].reason).toBe("no RS256 key is waiting to sign: a key announced now is in every instance's JWKS within KEY_MANAGEMENT_KEY_CACHE_DURATION (1d) and signs from 2030-02-04T00:00:00.000Z");
    expect(steps[1].reason).toMatch(/^no successor is announced: run `keys rotate` first/);
    expect(steps[2].reason).toBe('it signs until 2030-04-01T00:00:00.000Z; an instance may sign with it up to KEY_MANAGEMENT_KEY_CACHE_DURATION (1d) longer and its tokens stay valid for up to 1h (longest access/identity token lifetime); it is deleted automatically at 2030-04-15T00:00:00.000Z');
  });

  it('with a successor waiting, rotate and retire should wait until it has propagated; removing the successor should be safe now', () => {
    const now = at(80 * DAY);
    const steps = planKeySteps([key('k1', 0), key('k2', 76 * DAY)], now, options);
    expect(summary(steps)).toEqual([
      ['rotate', undefined, 'RS256', at(90 * DAY).toISOString()],
      ['retire', 'k1', 'RS256', at(90 * DAY).toISOString()],
      ['remove', 'k1', 'RS256', at(90 * DAY + 25 * HOUR).toISOString()],
      ['remove', 'k2', 'RS256', now.toISOString()],
    ]);
    expect(steps[0].reason).toMatch(/^RS256 key k2 is already announced and waiting: it signs from 2030-04-01T00:00:00.000Z; until then `keys rotate` refuses/);
    expect(steps[1].reason).toMatch(/^successor k2 \(announced 2030-03-18T00:00:00.000Z\) has been in JWKS for KEY_MANAGEMENT_PROPAGATION_TIME \(14d\)/);
    expect(steps[3].reason).toMatch(/^it has signed nothing and would sign only from 2030-04-01T00:00:00.000Z, after every instance has re-read the key set/);
  });

  it('removing a waiting key that signs within the key cache duration should wait until it has signed and stopped', () => {
    const now = at(90 * DAY - 12 * HOUR);
    const steps = planKeySteps([key('k1', 0), key('k2', 76 * DAY)], now, options);
    const remove = steps.find((s) => s.action === 'remove' && s.kid === 'k2');
    // an instance that has not seen the removal yet would sign with it from 90d: its own rotation end counts
    expect(remove?.earliestAt).toEqual(at(76 * DAY + 90 * DAY + 25 * HOUR));
  });

  it('the key cache duration, when longer than the successor\'s age, should bound retiring the signing key', () => {
    const slowCache = { ...options, propagationTime: 2 * DAY, keyCacheDuration: 3 * DAY };
    const steps = planKeySteps([key('k1', 0), key('k2', 80 * DAY)], at(81 * DAY), slowCache);
    expect(steps.find((s) => s.action === 'retire')?.earliestAt).toEqual(at(83 * DAY));
  });

  it('a retired key whose tokens have expired should be removable now', () => {
    const now = at(100 * DAY);
    const steps = planKeySteps([key('k1', 0), key('k2', 76 * DAY)], now, options);
    const remove = steps.find((s) => s.kid === 'k1' && s.action === 'remove');
    expect(remove?.earliestAt).toEqual(now);
    expect(remove?.reason).toBe('it stopped signing at 2030-04-01T00:00:00.000Z: no token it signed can still be valid and every instance has stopped using it; it is deleted automatically at 2030-04-15T00:00:00.000Z');
    expect(steps.find((s) => s.action === 'retire')?.kid).toBe('k2');
    expect(steps.find((s) => s.action === 'rotate')?.earliestAt).toEqual(now);
  });

  it('a key displaced early by a forced rotation should stop signing when the younger key takes over', () => {
    // k2 (scheduled) and k3 (forced) both waiting: k3 takes over from 91d, so k2 signs only 90d…91d
    const steps = planKeySteps([key('k1', 0), key('k2', 76 * DAY), key('k3', 77 * DAY)], at(90 * DAY + HOUR), options);
    expect(steps.find((s) => s.kid === 'k2' && s.action === 'remove')?.earliestAt).toEqual(at(91 * DAY + 25 * HOUR));
    expect(steps.find((s) => s.action === 'rotate')?.earliestAt).toEqual(at(91 * DAY));
  });

  it('several algorithms should each get their steps, in configured order; a key of an algorithm no longer configured only its removal', () => {
    const steps = planKeySteps([key('r1', 0), key('e1', 0, 'ES256'), key('p1', 0, 'PS256')], at(DAY), { ...options, algorithms: ['ES256', 'RS256'] });
    expect(steps.map((s) => [s.action, s.alg, s.kid])).toEqual([
      ['rotate', 'ES256', undefined], ['retire', 'ES256', 'e1'], ['remove', 'ES256', 'e1'],
      ['rotate', 'RS256', undefined], ['retire', 'RS256', 'r1'], ['remove', 'RS256', 'r1'],
      ['remove', 'PS256', 'p1'],
    ]);
  });

  it('on an empty store, should only plan the first rotation', () => {
    expect(summary(planKeySteps([], at(0), options))).toEqual([['rotate', undefined, 'RS256', at(0).toISOString()]]);
  });

  it('with DELETE_RETIRED_KEYS=false, should not promise an automatic deletion', () => {
    const steps = planKeySteps([key('k1', 0)], at(DAY), { ...options, deleteRetiredKeys: false });
    expect(steps.find((s) => s.action === 'remove')?.reason).not.toMatch(/deleted automatically/);
  });
});

describe('findWaitingKeys', () => {
  it('should list announced keys only: not the first key of an empty store, not a signing or retired key', () => {
    const keys = [key('k1', 0), key('k2', 76 * DAY)];
    expect(findWaitingKeys([key('k1', 0)], at(0), options)).toEqual([]);
    expect(findWaitingKeys(keys, at(80 * DAY), options)).toEqual([{ kid: 'k2', alg: 'RS256', signsAt: at(90 * DAY) }]);
    expect(findWaitingKeys(keys, at(90 * DAY), options)).toEqual([]);
  });
});
