import { de } from './de';
import { en } from './en';
import { errorExplanationKey, pageLanguage, translator } from '.';

describe('page catalogues (src/ui/i18n)', () => {
  it('de, should have every key of en and no other', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
  });

  it('de, should translate every string (none left empty, placeholders kept)', () => {
    for (const [key, text] of Object.entries(en) as [keyof typeof en, string][]) {
      expect(de[key].trim()).not.toBe('');
      const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect({ key, placeholders: placeholders(de[key]) }).toEqual({ key, placeholders: placeholders(text) });
    }
  });

  it('translator, should fill placeholders in the chosen language', () => {
    expect(translator('en')('login.continueTo', { client: 'Shop' })).toBe('to continue to Shop');
    expect(translator('de')('login.continueTo', { client: 'Shop' })).toBe('um mit Shop fortzufahren');
  });

  it('the error page, should explain each standard error code and fall back for others', () => {
    for (const code of ['invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope',
      'server_error', 'temporarily_unavailable', 'login_required', 'invalid_client', 'consent_required', 'interaction_required',
      'external_sign_in_failed']) {
      expect(errorExplanationKey(code)).toBe(`error.explain.${code}`);
    }
    expect(errorExplanationKey('made_up')).toBe('error.explain.default');
    expect(errorExplanationKey('__proto__')).toBe('error.explain.default');
  });
});

describe('pageLanguage (Accept-Language, RFC 9110 §12.5.4)', () => {
  it.each([
    [undefined, 'en', 'en'],
    ['', 'de', 'de'],
    ['de-DE,de;q=0.9,en;q=0.8', 'en', 'de'],
    ['en-US,en;q=0.9', 'de', 'en'],
    ['fr-FR, fr;q=0.9, de;q=0.5, en;q=0.4', 'en', 'de'],
    ['fr, it', 'de', 'de'],
    ['en;q=0.2, de;q=0.8', 'en', 'de'],
    ['de;q=0, en;q=0.1', 'de', 'en'],
    ['*', 'de', 'de'],
    ['de-CH', 'en', 'de'],
    ['EN', 'de', 'en'],
  ] as const)('%p with fallback %p, should give %p', (header, fallback, expected) => {
    expect(pageLanguage(header, fallback)).toBe(expected);
  });

  it('a huge header, should be read only so far and not fail', () => {
    expect(pageLanguage(`${'x-y;q=0.1,'.repeat(10_000)}de`, 'en')).toBe('en');
  });
});
