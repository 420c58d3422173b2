// The console's words: Danish by default (the centres' language), English on request, with i18next
// (plural forms from the language's CLDR rules through Intl.PluralRules). The chosen language is kept
// in this browser. `t` reads the `lang` signal, so every component using it re-renders on a switch.
import { signal } from '@preact/signals';
import i18next from 'i18next';
import da from './locales/da.json';
import en from './locales/en.json';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof da };
  }
}

export const LANGUAGES = ['da', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'rc.lang';

const stored = localStorage.getItem(STORAGE_KEY);
export const lang = signal<Language>(stored === 'en' ? 'en' : 'da');

const i18n = i18next.createInstance();
void i18n.init({
  lng: lang.value,
  fallbackLng: 'da',
  supportedLngs: [...LANGUAGES],
  resources: { da: { translation: da }, en: { translation: en } },
  // Preact escapes text itself.
  interpolation: { escapeValue: false },
  // The resources are bundled: ready at once, so the first render is already translated.
  initAsync: false,
});
document.documentElement.lang = lang.value;

export function setLanguage(l: Language): void {
  localStorage.setItem(STORAGE_KEY, l);
  void i18n.changeLanguage(l);
  document.documentElement.lang = l;
  lang.value = l;
}

/** Translate; reading `lang` makes the caller re-render when the language changes. */
export const t = ((...args: Parameters<typeof i18n.t>) => {
  void lang.value;
  return (i18n.t as unknown as (...a: unknown[]) => string)(...args);
}) as typeof i18n.t;

/** The BCP 47 locale for dates and numbers in the chosen language. */
export const locale = () => (lang.value === 'en' ? 'en-GB' : 'da-DK');
