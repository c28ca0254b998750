// The 工作日历 page's dates: typed or pasted one a line (or separated by commas, spaces or
// 、 as notices list them), sent as written so the server names the bad one (holidays[2]).
import type { Locale } from '@/i18n/messages'
import { translate } from '@/i18n'

/** "2027-01-01\n2027-01-02, 2027-01-03" → the three dates as written, blanks dropped. */
export function datesOf(text: string): string[] {
  return text
    .split(/[\s,，、;；]+/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0)
}

/** The dates back as the text area shows them, one a line. */
export function linesOf(dates: readonly string[]): string {
  return dates.join('\n')
}

/** The statutory holidays a load left as working days, as the warning lists them. */
export function missingText(lang: Locale, missing: readonly { day: string; name: string }[]): string {
  const days = missing.map((m) => `${m.day}（${m.name}）`).join(lang === 'en' ? ', ' : '、')
  return translate(lang, 'cal.missing', { days })
}
