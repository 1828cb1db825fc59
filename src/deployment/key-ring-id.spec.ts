import { EMPTY_KEY_RING_ID, keyRingIdOf } from './key-ring-id';

const key = (id: string, created: string) => ({ id, creationDate: new Date(created) });

describe('keyRingIdOf', () => {
  it('should be 16 hex digits that depend on the oldest key only', () => {
    const first = keyRingIdOf([key('b', '2030-01-01T00:00:00Z')]);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    // A key added later (rotation) does not change the ring's id, whatever the order read.
    expect(keyRingIdOf([key('c', '2030-03-01T00:00:00Z'), key('b', '2030-01-01T00:00:00Z')])).toBe(first);
  });

  it('should differ between rings, and break a creation tie by id', () => {
    expect(keyRingIdOf([key('a', '2030-01-01T00:00:00Z')])).not.toBe(keyRingIdOf([key('b', '2030-01-01T00:00:00Z')]));
    expect(keyRingIdOf([key('b', '2030-01-01T00:00:00Z'), key('a', '2030-01-01T00:00:00Z')])).toBe(keyRingIdOf([key('a', '2030-01-01T00:00:00Z')]));
  });

  it('of an empty ring, should say so', () => {
    expect(keyRingIdOf([])).toBe(EMPTY_KEY_RING_ID);
  });
});
