import { requestIdFor } from './request-id';

describe('requestIdFor', () => {
  it('with a sane x-request-id, should keep it', () => {
    expect(requestIdFor({ headers: { 'x-request-id': 'edge-42.a_b' } })).toBe('edge-42.a_b');
  });

  it.each([
    ['missing', undefined],
    ['too long', 'a'.repeat(65)],
    ['with spaces or markup', '<script> x'],
    ['empty', ''],
  ])('with an x-request-id %s, should use a random UUID', (_name, header) => {
    const id = requestIdFor({ headers: header === undefined ? {} : { 'x-request-id': header } });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor({ headers: {} })).not.toBe(id);
  });
});
