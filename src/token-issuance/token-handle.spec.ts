import { createTokenHandle, persistedGrantKey } from './token-handle';

describe('createTokenHandle', () => {
  it('should return 256-bit base64url handles that never repeat, also across pool refills', () => {
    const handles = Array.from({ length: 1000 }, () => createTokenHandle());
    for (const handle of handles) {
      expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(handle, 'base64url')).toHaveLength(32);
    }
    expect(new Set(handles).size).toBe(handles.length);
    // no handle is all zero bytes (consumed pool bytes are wiped, never reused)
    expect(handles).not.toContain(Buffer.alloc(32).toString('base64url'));
  });
});

describe('persistedGrantKey', () => {
  it('should differ by grant type for the same handle', () => {
    expect(persistedGrantKey('h', 'reference_token')).not.toBe(persistedGrantKey('h', 'refresh_token'));
  });
});
