import type { DataProtectionKeyMetadata } from './data-protection-key';
import { keyRingPolicyFor, resolveKeyRing, type KeyRingPolicy } from './key-ring.policy';

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

function key(id: string, activation: number, expiration: number, overrides: Partial<DataProtectionKeyMetadata> = {}): DataProtectionKeyMetadata {
  return { id, creationDate: at(activation), activationDate: at(activation), expirationDate: at(expiration), revoked: false, ...overrides };
}

const policy: KeyRingPolicy = { keyLifetime: 90 * DAY, propagationTime: 2 * DAY, maxClockSkew: 0, refreshPeriod: 60 * 60 * 1000 };

describe('keyRingPolicyFor', () => {
  it('when the lifetime is the default 90 days, should create successors 2 days ahead like ASP.NET Core', () => {
    const p = keyRingPolicyFor(90 * DAY);
    expect(p.propagationTime).toBe(2 * DAY);
    expect(p.maxClockSkew).toBe(5 * 60 * 1000);
    expect(p.refreshPeriod).toBeLessThanOrEqual(p.propagationTime / 4);
  });

  it('when the lifetime is short, should scale the propagation window down to a quarter of it', () => {
    const p = keyRingPolicyFor(40_000);
    expect(p.propagationTime).toBe(10_000);
    expect(p.refreshPeriod).toBeLessThanOrEqual(2_500);
  });
});

describe('resolveKeyRing', () => {
  it('when the ring is empty, should ask for a key active now for one lifetime', () => {
    const result = resolveKeyRing([], T0, policy);
    expect(result.defaultKey).toBeUndefined();
    expect(result.keyToCreate).toEqual({ activationDate: T0, expirationDate: at(90 * DAY) });
  });

  it('when one key is active and far from expiry, should select it and create nothing', () => {
    const k = key('a', 0, 90 * DAY);
    const result = resolveKeyRing([k], at(10 * DAY), policy);
    expect(result.defaultKey).toBe(k);
    expect(result.keyToCreate).toBeUndefined();
    expect(result.reconsiderAt).toEqual(at(88 * DAY));
  });

  it('when the default key is within the propagation time of expiry, should ask for a successor activating at its expiry', () => {
    const k = key('a', 0, 90 * DAY);
    const result = resolveKeyRing([k], at(88 * DAY), policy);
    expect(result.defaultKey).toBe(k);
    expect(result.keyToCreate).toEqual({ activationDate: at(90 * DAY), expirationDate: at(180 * DAY) });
  });

  it('when a successor exists, should keep the current default until the successor activates, then switch', () => {
    const current = key('a', 0, 90 * DAY);
    const successor = key('b', 90 * DAY, 180 * DAY, { creationDate: at(88 * DAY) });
    const before = resolveKeyRing([current, successor], at(89 * DAY), policy);
    expect(before.defaultKey).toBe(current);
    expect(before.keyToCreate).toBeUndefined();
    expect(before.reconsiderAt).toEqual(at(90 * DAY));
    const after = resolveKeyRing([current, successor], at(90 * DAY), policy);
    expect(after.defaultKey).toBe(successor);
    expect(after.keyToCreate).toBeUndefined();
  });

  it('when two instances raced and made two keys, should pick the same one whatever the order', () => {
    const x = key('9f000000-0000-4000-8000-000000000000', 0, 90 * DAY);
    const y = key('1a000000-0000-4000-8000-000000000000', 0, 90 * DAY);
    expect(resolveKeyRing([x, y], at(1), policy).defaultKey).toBe(y);
    expect(resolveKeyRing([y, x], at(1), policy).defaultKey).toBe(y);
    const later = key('ff000000-0000-4000-8000-000000000000', 5, 90 * DAY);
    expect(resolveKeyRing([x, y, later], at(10), policy).defaultKey).toBe(later);
  });

  it('when the default key is revoked, should not select it and should ask for a new key now', () => {
    const revoked = key('a', 0, 90 * DAY, { revoked: true });
    const result = resolveKeyRing([revoked], at(DAY), policy);
    expect(result.defaultKey).toBeUndefined();
    expect(result.keyToCreate?.activationDate).toEqual(at(DAY));
  });

  it('when every key has expired, should ask for a key active now', () => {
    const result = resolveKeyRing([key('a', 0, 90 * DAY)], at(100 * DAY), policy);
    expect(result.defaultKey).toBeUndefined();
    expect(result.keyToCreate).toEqual({ activationDate: at(100 * DAY), expirationDate: at(190 * DAY) });
  });

  it('when a key activates within the clock skew, should already count it as active', () => {
    const skewed = { ...policy, maxClockSkew: 5 * 60 * 1000 };
    const k = key('a', 60_000, 90 * DAY);
    expect(resolveKeyRing([k], T0, skewed).defaultKey).toBe(k);
    expect(resolveKeyRing([k], T0, policy).defaultKey).toBeUndefined();
  });

  it('when the only successor is revoked, should ask for another successor', () => {
    const current = key('a', 0, 90 * DAY);
    const successor = key('b', 90 * DAY, 180 * DAY, { revoked: true });
    expect(resolveKeyRing([current, successor], at(89 * DAY), policy).keyToCreate).toEqual({
      activationDate: at(90 * DAY), expirationDate: at(180 * DAY),
    });
  });

  it('over three lifetimes of simulated time, should always have a default key and create each successor once, ahead of expiry', () => {
    const keys: DataProtectionKeyMetadata[] = [];
    const defaults = new Set<string>();
    for (let t = 0; t <= 270 * DAY; t += 6 * 60 * 60 * 1000) {
      const now = at(t);
      let result = resolveKeyRing(keys, now, policy);
      if (result.keyToCreate) {
        keys.push({ id: `k${keys.length}`, creationDate: now, ...result.keyToCreate, revoked: false });
        result = resolveKeyRing(keys, now, policy);
      }
      expect(result.keyToCreate).toBeUndefined();
      expect(result.defaultKey).toBeDefined();
      if (result.defaultKey) defaults.add(result.defaultKey.id);
    }
    expect(keys.map((k) => k.id)).toEqual(['k0', 'k1', 'k2', 'k3']);
    // every successor was created the propagation time before it became the default
    for (const k of keys.slice(1)) expect(k.activationDate.getTime() - k.creationDate.getTime()).toBe(2 * DAY);
    expect([...defaults]).toEqual(['k0', 'k1', 'k2', 'k3']);
  });
});
