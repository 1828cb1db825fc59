import { displayNameOf, externalAmr, mapClaims } from './claim-mapping';

describe('mapClaims', () => {
  it('mapClaims, with mappings, should take each mapped claim under its local name and nothing else', () => {
    const external = { sub: 'x', mail: 'a@corp.example', display: 'Alice', groups: ['g1'], verified: true, unmapped: 'no' };
    expect(mapClaims(external, { email: 'mail', name: 'display', roles: 'groups', email_verified: 'verified' }))
      .toEqual({ email: 'a@corp.example', name: 'Alice', roles: ['g1'], email_verified: true });
  });

  it('mapClaims, when the provider claim is absent or an object or a mixed list, should leave it out', () => {
    expect(mapClaims({ address: { street: 'x' }, list: ['a', 1] }, { address: 'address', list: 'list', email: 'email' })).toEqual({});
  });
});

describe('externalAmr', () => {
  it('externalAmr, with the provider amr, should keep it; without, should say external', () => {
    expect(externalAmr({ amr: ['pwd', 'mfa'] })).toEqual(['pwd', 'mfa']);
    expect(externalAmr({})).toEqual(['external']);
    expect(externalAmr({ amr: 'pwd' })).toEqual(['external']);
  });
});

describe('displayNameOf', () => {
  it('displayNameOf should prefer the mapped name, then the provider name, username, email, subject', () => {
    expect(displayNameOf({ name: 'Mapped' }, { name: 'Theirs' }, 's')).toBe('Mapped');
    expect(displayNameOf({}, { preferred_username: 'alice' }, 's')).toBe('alice');
    expect(displayNameOf({}, {}, 'sub-1')).toBe('sub-1');
  });
});
