import { isReferenceTokenClaims, referenceTokenClaimsSchema } from './reference-token.service';

const valid = {
  iss: 'https://id.example', aud: 'urn:api1', client_id: 'r', scope: 'api1', sub: 'alice', exp: 2000000000, iat: 1900000000,
  nbf: 1900000000, jti: 'A1B2', auth_time: 1900000000, idp: 'local', amr: ['pwd'], sid: 'S1', custom: { any: 'thing' },
};
const without = (name: string) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== name));

/** Shapes a decrypted payload could have: the fast check and the schema must agree on each, or the check refuse. */
const CASES: Array<[string, unknown]> = [
  ['every claim', valid],
  ['only the required claims', { iss: 'i', client_id: 'c', scope: 's', exp: 2, iat: 1, nbf: 1, jti: 'j' }],
  ['aud as an array', { ...valid, aud: ['a', 'b'] }],
  ['null', null],
  ['a string', 'claims'],
  ['an array', [valid]],
  ...['iss', 'client_id', 'scope', 'exp', 'iat', 'nbf', 'jti'].map((name): [string, unknown] => [`no ${name}`, without(name)]),
  ['scope as an array', { ...valid, scope: ['api1'] }],
  ['exp as a string', { ...valid, exp: '2000000000' }],
  ['iat null', { ...valid, iat: null }],
  ['nbf as a string', { ...valid, nbf: '1' }],
  ['jti as a number', { ...valid, jti: 7 }],
  ['iss as an object', { ...valid, iss: {} }],
  ['client_id null', { ...valid, client_id: null }],
  ['aud as a number', { ...valid, aud: 1 }],
  ['aud with a number', { ...valid, aud: ['a', 1] }],
  ['sub null', { ...valid, sub: null }],
  ['sub as a number', { ...valid, sub: 5 }],
  ['auth_time as a string', { ...valid, auth_time: '1' }],
  ['idp as a number', { ...valid, idp: 1 }],
  ['amr as a string', { ...valid, amr: 'pwd' }],
  ['amr with a number', { ...valid, amr: ['pwd', 1] }],
  ['sid as an array', { ...valid, sid: ['S1'] }],
];

describe('isReferenceTokenClaims (the fast check before referenceTokenClaimsSchema)', () => {
  it.each(CASES)('%s: accepted only when the schema accepts it too', (_name, payload) => {
    const bySchema = referenceTokenClaimsSchema.safeParse(payload).success;
    const byCheck = isReferenceTokenClaims(payload);
    // Never more lenient than the schema; on these shapes, exactly as lenient.
    expect(byCheck).toBe(bySchema);
  });

  it('should accept a well-formed payload as it is, custom claims included', () => {
    expect(isReferenceTokenClaims(valid)).toBe(true);
  });

  it('should refuse each malformed shape (the schema refuses them all)', () => {
    const refused = CASES.filter(([, payload]) => !isReferenceTokenClaims(payload)).map(([name]) => name);
    expect(refused).toHaveLength(CASES.length - 3);
  });
});
