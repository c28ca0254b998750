// The 督办规则 page's words for a rung: "3wd" is what the server stores and the CLI's file
// has; people read "到期前 3 个工作日 提醒".
import type { Locale, MessageKey } from '@/i18n/messages'
import { translate } from '@/i18n'

const UNITS: Record<string, [MessageKey, MessageKey]> = {
  wd: ['offset.wdOne', 'offset.wd'],
  d: ['offset.dOne', 'offset.d'],
  h: ['offset.hOne', 'offset.h'],
}

export interface RungFields {
  name: string
  kind: string
  offset: string
  addressee: string
  label: string
}

/** "3wd" → "3 个工作日"; anything the server would refuse is shown as written. */
export function periodText(lang: Locale, offset: string): string {
  const match = /^\s*(\d+)\s*(wd|d|h)\s*$/i.exec(offset)
  if (!match) return offset
  const n = Number(match[1])
  const [one, many] = UNITS[match[2].toLowerCase()]
  return translate(lang, n === 1 ? one : many, { n })
}

/** When a rung rings: reminders before due, the others after it (0: at due). */
export function whenText(lang: Locale, kind: string, offset: string): string {
  const match = /^\s*(\d+)/.exec(offset)
  if (match && Number(match[1]) === 0) return translate(lang, 'offset.at')
  const period = periodText(lang, offset)
  return translate(lang, kind === 'reminder' ? 'offset.before' : 'offset.after', { period })
}

/** One line per rung: "到期前 3 个工作日 · 提醒 · 责任单位". */
export function rungText(lang: Locale, rung: RungFields): string {
  const kindKey = `milestone.${rung.kind}` as MessageKey
  const kind = translate(lang, kindKey) === kindKey ? rung.kind : translate(lang, kindKey)
  return [whenText(lang, rung.kind, rung.offset), rung.label || kind, rung.addressee].filter(Boolean).join(' · ')
}

/** A blank rung for the editor, named so that it is unique among `taken`. */
export function blankRung(taken: readonly string[]): RungFields {
  let n = taken.length + 1
  while (taken.includes(`rung-${n}`)) n += 1
  return { name: `rung-${n}`, kind: 'escalation', offset: '1wd', addressee: '', label: '' }
}
