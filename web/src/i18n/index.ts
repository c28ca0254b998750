// A small message table instead of vue-i18n: two languages, a few dozen words, and no
// runtime message compiler near the strict CSP. The choice is kept in localStorage.
import { ref } from 'vue'

import { messages, type Locale, type MessageKey } from './messages'

export const LOCALE_KEY = 'rectify.locale'

function initialLocale(): Locale {
  const stored = globalThis.localStorage?.getItem(LOCALE_KEY)
  return stored === 'en' ? 'en' : 'zh-CN'
}

export const locale = ref<Locale>(initialLocale())

export function setLocale(next: Locale): void {
  locale.value = next
  globalThis.localStorage?.setItem(LOCALE_KEY, next)
  document.documentElement.lang = next
}

export function translate(lang: Locale, key: MessageKey, values: Record<string, string | number> = {}): string {
  const text: string = messages[lang][key] ?? messages['zh-CN'][key] ?? key
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`))
}

/** The current language's text; reactive where it is read in a render. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return translate(locale.value, key, values)
}
