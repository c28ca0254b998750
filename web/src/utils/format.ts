// Dates are shown in China time whatever the browser's zone is: officials compare them with
// documents dated in Beijing time.
const CHINA = 'Asia/Shanghai'

function parts(iso: string, withTime: boolean): Record<string, string> | null {
  const when = new Date(iso)
  if (Number.isNaN(when.getTime())) return null
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: CHINA,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' as const } : {}),
  })
  return Object.fromEntries(format.formatToParts(when).map((p) => [p.type, p.value]))
}

/** "2026-03-05 14:30" in China time; "" for no value, the input itself if unreadable. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const p = parts(iso, true)
  if (!p) return iso
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** "2026-03-05": a Date scalar is already a calendar day; a DateTime is read in China time. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return ''
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  const p = parts(value, false)
  if (!p) return value
  return `${p.year}-${p.month}-${p.day}`
}
