import { deriveKeySp800108HmacSha512 } from './sp800-108.kdf';

/**
 * Known answers from ASP.NET Core's SP800_108Tests (DeriveKeyWithContextHeader_*_Managed), whose
 * context is contextHeader ‖ context: matching them shows the fixed-input layout is the one
 * ASP.NET Core's data protection derives its per-payload keys with.
 */
const label = Buffer.from('label');
const context = Buffer.from('contextHeadercontext');
const longKdk = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i & 0xff));

describe('deriveKeySp800108HmacSha512', () => {
  it.each([
    [63, 'V47WmHzPSkdC2vkLAomIjCzZlDOAetll3yJLcSvon7LJFjJpEN+KnSNp+gIpeydKMsENkflbrIZ/3s6GkEaH'],
    [64, 'mVaFM4deXLl610CmnCteNzxgbM/VkmKznAlPauHcDBn0le06uOjAKLHx0LfoU2/Ttq9nd78Y6Nk6wArmdwJgJg=='],
    [65, 'GaHPeqdUxriFpjRtkYQYWr5/iqneD/+hPhVJQt4rXblxSpB1UUqGqL00DMU/FJkX0iMCfqUjQXtXyfks+p++Ev4='],
  ])('when asked for %i bytes from a short key, should give the published output', (length, expected) => {
    expect(deriveKeySp800108HmacSha512(Buffer.from('kdk'), label, context, length).toString('base64')).toBe(expected);
  });

  it.each([
    [63, 'rt2hM6kkQ8hAXmkHx0TU4o3Q+S7fie6b3S1LAq107k++P9v8uSYA2G+WX3pJf9ZkpYrTKD7WUIoLkgA1R9lk'],
    [64, 'RKiXmHSrWq5gkiRSyNZWNJrMR0jDyYHJMt9odOayRAE5wLSX2caINpQmfzTH7voJQi3tbn5MmD//dcspghfBiw=='],
    [65, 'KedXO0zAIZ3AfnPqY1NnXxpC3HDHIxefG4bwD3g6nWYEc5+q7pjbam71Yqj0zgHMNC9Z7BX3wS1/tajFocRWZUk='],
  ])('when asked for %i bytes from a 50,000-byte key, should give the published output', (length, expected) => {
    expect(deriveKeySp800108HmacSha512(longKdk, label, context, length).toString('base64')).toBe(expected);
  });

  it('when the context differs in one bit, should derive an unrelated key', () => {
    const one = deriveKeySp800108HmacSha512(Buffer.from('kdk'), label, Buffer.from([0]), 32);
    const two = deriveKeySp800108HmacSha512(Buffer.from('kdk'), label, Buffer.from([1]), 32);
    expect(one).toHaveLength(32);
    expect(one.equals(two)).toBe(false);
  });

  it('when asked for no bytes, should refuse', () => {
    expect(() => deriveKeySp800108HmacSha512(Buffer.from('kdk'), label, context, 0)).toThrow(RangeError);
  });
});
