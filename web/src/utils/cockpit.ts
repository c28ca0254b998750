// How the cockpit shows the server's figures. Nothing here computes a figure: rates, counts
// and working days come from the API; these only format them and say which list a figure
// drills down to (an `issues(filter:)` of the same campaign).
import type { IssueFilter, IssueStatus } from '@/gql/graphql'
import type { Locale, MessageKey } from '@/i18n/messages'
import { messages } from '@/i18n/messages'

/** "85.7%" (one decimal) of the server's ratio; "—" when there is none (nothing closed). */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—'
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}

/** The server's percent (a Decimal string, one decimal) as shown: "62.5%". */
export function formatPercent(percent: string | number | null | undefined): string {
  if (percent === null || percent === undefined || percent === '') return '—'
  return `${percent}%`
}

/** A rung as people call it; a ladder's own rung name is shown as the policy wrote it. */
export function rungLabel(rung: string, lang: Locale): string {
  const key = `rung.${rung}` as MessageKey
  return (messages[lang] as Record<string, string>)[key] ?? rung
}

/** One list a figure opens: a title and the filter of the API's issue list. */
export interface DrillPart {
  titleKey: MessageKey
  filter: IssueFilter
}

export type Tile = 'total' | 'open' | 'closed' | 'overdue' | 'onTime'

/** The lists behind a tile; "open" is two lists (整改中 and 待核验), as the server counts it. */
export function tileDrill(campaign: string, tile: Tile): DrillPart[] {
  const status = (s: IssueStatus): DrillPart => ({ titleKey: `cockpit.status.${s}`, filter: { campaign, status: s } })
  switch (tile) {
    case 'total':
      return [{ titleKey: 'cockpit.totalIssues', filter: { campaign } }]
    case 'open':
      return [status('OPEN'), status('SUBMITTED')]
    case 'closed':
    case 'onTime':
      return [status('CLOSED')]
    case 'overdue':
      return [{ titleKey: 'cockpit.overdueIssues', filter: { campaign, overdue: true } }]
  }
}

export type AgencySeries = 'open' | 'closed' | 'overdue'

/** The list behind one agency's bar: the issues it leads or co-owns, as the dashboard counts. */
export function agencyDrill(campaign: string, agency: string, series: AgencySeries): DrillPart[] {
  if (series === 'overdue') return [{ titleKey: 'cockpit.overdue', filter: { campaign, agency, overdue: true } }]
  if (series === 'closed') return [{ titleKey: 'cockpit.closed', filter: { campaign, agency, status: 'CLOSED' } }]
  return [
    { titleKey: 'cockpit.status.OPEN', filter: { campaign, agency, status: 'OPEN' } },
    { titleKey: 'cockpit.status.SUBMITTED', filter: { campaign, agency, status: 'SUBMITTED' } },
  ]
}
