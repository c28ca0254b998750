// Dates are shown in China time whatever the browser's zone is: officials compare them with
// documents dated in Beijing time.
// China has kept UTC+8 all year since 1991, so the instant is shifted by eight hours and
// read as UTC: no Intl.DateTimeFormat, whose first use with a time zone loads ICU's zone data
// and cost the queue's first drawing a good part of its time (ADR 0058).
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000

function parts(iso: string): { date: string; time: string } | null {
  const when = new Date(iso).getTime()
  if (Number.isNaN(when)) return null
  const shifted = new Date(when + CHINA_OFFSET_MS).toISOString() // 2026-03-05T14:30:00.000Z
  return { date: shifted.slice(0, 10), time: shifted.slice(11, 16) }
}

/** "2026-03-05 14:30" in China time; "" for no value, the input itself if unreadable. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const p = parts(iso)
  return p ? `${p.date} ${p.time}` : iso
}

/** "2026-03-05": a Date scalar is already a calendar day; a DateTime is read in China time. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return ''
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  return parts(value)?.date ?? value
}
