import { negotiateLanguage } from '../../common/accept-language';
import { UI_LANGUAGES, type UiLanguage } from '../../config/app-config';
import { de } from './de';
import { en, type Catalogue, type MessageKey } from './en';

export type { Catalogue, MessageKey } from './en';
export { UI_LANGUAGES, type UiLanguage } from '../../config/app-config';

const CATALOGUES: Readonly<Record<UiLanguage, Catalogue>> = { en, de };

/** The page language for a request's `Accept-Language`, UI_DEFAULT_LANGUAGE when it names none we offer. */
export function pageLanguage(acceptLanguage: string | readonly string[] | undefined, fallback: UiLanguage): UiLanguage {
  return negotiateLanguage(acceptLanguage, UI_LANGUAGES, fallback);
}

export type Translate = (key: MessageKey, params?: Readonly<Record<string, string | number>>) => string;

/** `t('login.continueTo', { client: 'Shop' })` in the given language; unknown placeholders stay as written. */
export function translator(language: UiLanguage): Translate {
  const catalogue = CATALOGUES[language];
  return (key, params) => {
    const text = catalogue[key];
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
  };
}

/** The catalogue behind a language, for tests and replacement UIs that want the same wording. */
export function catalogueOf(language: UiLanguage): Catalogue {
  return CATALOGUES[language];
}

/** The error codes the error page explains; any other code gets `error.explain.default`. */
export function errorExplanationKey(error: string): MessageKey {
  const key = `error.explain.${error}`;
  return key in en ? (key as MessageKey) : 'error.explain.default';
}
