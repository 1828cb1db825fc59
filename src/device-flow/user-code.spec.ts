import { generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code';

describe('generateUserCode', () => {
  it('should produce XXXX-XXXX from the unambiguous alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode();
      expect(code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
    }
  });

  it('should never use vowels or look-alike characters', () => {
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOUY01L]/);
  });

  it('should rarely repeat', () => {
    const codes = new Set(Array.from({ length: 1000 }, generateUserCode));
    expect(codes.size).toBeGreaterThan(995);
  });
});

describe('normalizeUserCode', () => {
  it('when typed in lower case with spaces or without the dash, should match the stored form', () => {
    expect(normalizeUserCode('bcdf ghjk')).toBe('BCDF-GHJK');
    expect(normalizeUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
    expect(normalizeUserCode(' bcdf-ghjk ')).toBe('BCDF-GHJK');
  });

  it.each(['', 'BCDF-GHJ', 'BCDF-GHJKK', 'ABCD-EFGH', '1234-5678', "BCDF-GHJ'"])('when given %p, should refuse it', (input) => {
    expect(normalizeUserCode(input)).toBeUndefined();
  });
});
