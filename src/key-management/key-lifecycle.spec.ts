import { decideKeys, type KeyInfo, type KeyLifecycleOptions } from './key-lifecycle';

const DAY = 86_400_000;
const T0 = new Date('2030-01-01T00:00:00Z').getTime();
const at = (days: number) => new Date(T0 + days * DAY);
const key = (id: string, createdDay: number, algorithm = 'RS256'): KeyInfo => ({ id, algorithm, created: at(createdDay) });
const defaults: KeyLifecycleOptions = {
  rotationInterval: 90 * DAY, propagationTime: 14 * DAY, retentionDuration: 14 * DAY, deleteRetiredKeys: true, algorithms: ['RS256'],
};
const summary = (keys: KeyInfo[], day: number, options = defaults) => {
  const d = decideKeys(keys, at(day), options);
  return {
    signing: d.signingKeys.get('RS256')?.id,
    published: d.published.map((k) => k.id),
    create: d.toCreate,
    delete: d.toDelete.map((k) => k.id),
    phases: Object.fromEntries(d.statuses.map((s) => [s.key.id, s.phase])),
  };
};

describe('decideKeys', () => {
  it('on an empty store, should create one key per configured algorithm', () => {
    const d = decideKeys([], at(0), { ...defaults, algorithms: ['RS256', 'ES256'] });
    expect(d.toCreate).toEqual(['RS256', 'ES256']);
    expect(d.signingKeys.size).toBe(0);
    expect(d.nextChangeAt).toBeUndefined();
  });

  it('the first key should sign at once although it is younger than the propagation time', () => {
    expect(summary([key('k1', 0)], 0)).toEqual({ signing: 'k1', published: ['k1'], create: [], delete: [], phases: { k1: 'signing' } });
  });

  it.each([
    // day, signing, published, create, delete, phases
    [75, 'k1', ['k1'], [], [], { k1: 'signing' }],
    [76, 'k1', ['k1'], ['RS256'], [], { k1: 'signing' }],
  ])('with only k1 at day %i', (day, signing, published, create, del, phases) => {
    expect(summary([key('k1', 0)], day)).toEqual({ signing, published, create, delete: del, phases });
  });

  it.each([
    [76, 'k1', ['k1', 'k2'], { k1: 'signing', k2: 'announced' }, []],
    [89.99, 'k1', ['k1', 'k2'], { k1: 'signing', k2: 'announced' }, []],
    [90, 'k2', ['k1', 'k2'], { k1: 'retired', k2: 'signing' }, []],
    [103.99, 'k2', ['k1', 'k2'], { k1: 'retired', k2: 'signing' }, []],
    [104, 'k2', ['k2'], { k1: 'expired', k2: 'signing' }, ['k1']],
  ])('with k1 (day 0) and successor k2 (day 76) at day %f', (day, signing, published, phases, del) => {
    expect(summary([key('k1', 0), key('k2', 76)], day)).toMatchObject({ signing, published, phases, delete: del, create: [] });
  });

  it('with deleteRetiredKeys false, should keep expired keys out of JWKS without deleting them', () => {
    const d = summary([key('k1', 0), key('k2', 76)], 104, { ...defaults, deleteRetiredKeys: false });
    expect(d.published).toEqual(['k2']);
    expect(d.delete).toEqual([]);
    expect(d.phases.k1).toBe('expired');
  });

  it('a forced rotation (k2 at day 20) should take over after the propagation time, k1 stays published until its end', () => {
    const keys = [key('k1', 0), key('k2', 20)];
    expect(summary(keys, 33.9)).toMatchObject({ signing: 'k1', phases: { k1: 'signing', k2: 'announced' }, create: [] });
    expect(summary(keys, 34)).toMatchObject({ signing: 'k2', published: ['k1', 'k2'], phases: { k1: 'retired', k2: 'signing' } });
    expect(summary(keys, 104)).toMatchObject({ published: ['k2'], delete: ['k1'] });
    expect(summary(keys, 96)).toMatchObject({ create: ['RS256'] }); // k2 reaches 76 days
  });

  it('a forced rotation during the first key\'s own propagation should not let the new key sign early', () => {
    const keys = [key('k1', 0), key('k2', 1)];
    expect(summary(keys, 2).signing).toBe('k1');
    expect(summary(keys, 15).signing).toBe('k2');
  });

  it('after a long outage with every key retired, should create a new key and keep signing with none until it exists', () => {
    const d = summary([key('k1', 0)], 95);
    expect(d).toMatchObject({ signing: undefined, published: ['k1'], create: ['RS256'], phases: { k1: 'retired' } });
  });

  it('several algorithms should each have their own lifecycle; unconfigured ones never sign but stay published until expiry', () => {
    const keys = [key('r1', 0, 'RS256'), key('e1', 50, 'ES256'), key('p1', 0, 'PS256')];
    const d = decideKeys(keys, at(80), { ...defaults, algorithms: ['RS256', 'ES256'] });
    expect([...d.signingKeys.entries()].map(([alg, k]) => [alg, k.id])).toEqual([['RS256', 'r1'], ['ES256', 'e1']]);
    expect(d.toCreate).toEqual(['RS256']);
    expect(d.published.map((k) => k.id)).toEqual(['r1', 'e1', 'p1']);
    expect(d.statuses.find((s) => s.key.id === 'p1')?.phase).toBe('retired');
  });

  it('nextPhaseAt and nextChangeAt should name the next boundary', () => {
    const d = decideKeys([key('k1', 0), key('k2', 76)], at(80), defaults);
    expect(d.statuses.map((s) => s.nextPhaseAt?.getTime())).toEqual([at(90).getTime(), at(90).getTime()]);
    expect(d.nextChangeAt).toEqual(at(90));
  });

  it('custom intervals (10d/2d/3d) should follow the same rules', () => {
    const options = { ...defaults, rotationInterval: 10 * DAY, propagationTime: 2 * DAY, retentionDuration: 3 * DAY };
    expect(summary([key('k1', 0)], 8, options).create).toEqual(['RS256']);
    expect(summary([key('k1', 0), key('k2', 8)], 10, options)).toMatchObject({ signing: 'k2', published: ['k1', 'k2'] });
    expect(summary([key('k1', 0), key('k2', 8)], 13, options)).toMatchObject({ published: ['k2'], delete: ['k1'] });
  });

  it('successorLeadTime should create the successor that much earlier (a late check still announces it in time)', () => {
    const options = { ...defaults, successorLeadTime: DAY };
    expect(decideKeys([key('k1', 0)], at(74.99), options).toCreate).toEqual([]);
    expect(decideKeys([key('k1', 0)], at(75), options).toCreate).toEqual(['RS256']);
  });
});
