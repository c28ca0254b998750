// How the cockpit shows the server's figures. Nothing here computes a figure: rates, counts
// and working days come from the API; these only format them and say which list a figure
// drills down to: the list of the API whose `totalCount` is that figure (ADR 0048).
import type { FigureItemFilter, IssueFilter, IssueStatus, ItemKind, ReportState } from '@/gql/graphql'
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

/** One list a figure opens, with the arguments whose `totalCount` is that figure. */
export type DrillPart =
  | { list: 'issues'; titleKey: MessageKey; filter: IssueFilter }
  | { list: 'items'; titleKey: MessageKey; campaign: string; filter: FigureItemFilter }
  | { list: 'escalations'; titleKey: MessageKey; campaign: string; rung: string }
  | { list: 'cases'; titleKey: MessageKey; campaign: string; year: number; region: string }
  | { list: 'inspections'; titleKey: MessageKey; campaign: string; category: string }
  | { list: 'reports'; titleKey: MessageKey; campaign: string; state: ReportState }

export type Tile = 'total' | 'open' | 'closed' | 'overdue' | 'onTime' | 'overdueAll' | 'reports'

const issues = (titleKey: MessageKey, filter: IssueFilter): DrillPart => ({ list: 'issues', titleKey, filter })
const items = (campaign: string, titleKey: MessageKey, filter: FigureItemFilter): DrillPart => ({ list: 'items', titleKey, campaign, filter })

/** The lists behind a tile; "open" is two lists (整改中 and 待核验), as the server counts it. */
export function tileDrill(campaign: string, tile: Tile): DrillPart[] {
  const status = (s: IssueStatus): DrillPart => issues(`cockpit.status.${s}`, { campaign, status: s })
  switch (tile) {
    case 'total':
      return [issues('cockpit.totalIssues', { campaign })]
    case 'open':
      return [status('OPEN'), status('SUBMITTED')]
    case 'closed':
      return [status('CLOSED')]
    case 'overdue':
      return [issues('cockpit.overdueIssues', { campaign, overdue: true })]
    case 'onTime':
      return kindDrill(campaign, 'ISSUE')
    case 'overdueAll':
      return [items(campaign, 'cockpit.overdueAll', { state: 'OVERDUE' })]
    case 'reports':
      return [
        { list: 'reports', titleKey: 'cockpit.reportsNotReceived', campaign, state: 'OUTSTANDING' },
        { list: 'reports', titleKey: 'cockpit.reportsReceived', campaign, state: 'RECEIVED' },
      ]
  }
}

export type AgencySeries = 'open' | 'closed' | 'overdue'

/** The list behind one agency's bar: the issues it leads or co-owns, as the dashboard counts. */
export function agencyDrill(campaign: string, agency: string, series: AgencySeries): DrillPart[] {
  if (series === 'overdue') return [issues('cockpit.overdue', { campaign, agency, overdue: true })]
  if (series === 'closed') return [issues('cockpit.closed', { campaign, agency, status: 'CLOSED' })]
  return [issues('cockpit.status.OPEN', { campaign, agency, status: 'OPEN' }), issues('cockpit.status.SUBMITTED', { campaign, agency, status: 'SUBMITTED' })]
}

/** A kind's on-time bar: the items closed on time, and all closed with a due date in force. */
export function kindDrill(campaign: string, kind: ItemKind): DrillPart[] {
  return [
    items(campaign, 'cockpit.closedOnTime', { kind, state: 'CLOSED_ON_TIME' }),
    items(campaign, 'cockpit.closedWithDueDate', { kind, state: 'CLOSED_WITH_DUE_DATE' }),
  ]
}

export type WeekSeries = 'opened' | 'closed'

/** One week's point: every item opened (or closed) in that ISO week, whatever it is now. */
export function weekDrill(campaign: string, weekStart: string, series: WeekSeries): DrillPart[] {
  const filter: FigureItemFilter = series === 'opened' ? { openedWeek: weekStart } : { closedWeek: weekStart }
  return [items(campaign, series === 'opened' ? 'cockpit.opened' : 'cockpit.closed', filter)]
}

/** One rung's bar: each time it was recorded, with the item it belongs to. */
export function rungDrill(campaign: string, rung: string): DrillPart[] {
  return [{ list: 'escalations', titleKey: 'cockpit.escalationsFired', campaign, rung }]
}

/** One region's bar; null is the row of agencies with no region assigned. */
export function regionDrill(campaign: string, region: string | null, series: AgencySeries): DrillPart[] {
  const where: FigureItemFilter = region === null ? { noRegion: true } : { region }
  const state = ({ open: 'OPEN', closed: 'CLOSED', overdue: 'OVERDUE' } as const)[series]
  return [items(campaign, `cockpit.${series}`, { ...where, state })]
}

/** One region's case count: the cases its agencies filed in the year. */
export function enforcementDrill(campaign: string, year: number, region: string): DrillPart[] {
  return [{ list: 'cases', titleKey: 'cockpit.cases', campaign, year, region }]
}

/** One coverage row: the institutions of its category (and region) inspected so far. */
export function coverageDrill(campaign: string, category: string): DrillPart[] {
  return [{ list: 'inspections', titleKey: 'cockpit.inspectedInstitutions', campaign, category }]
}
