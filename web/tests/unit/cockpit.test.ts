import { describe, expect, it } from 'vitest'

import { agencyDrill, coverageDrill, enforcementDrill, formatPercent, formatRate, kindDrill, regionDrill, rungDrill, rungLabel, tileDrill, weekDrill, type DrillPart } from '@/utils/cockpit'

describe('the cockpit shows the server figures as they are', () => {
  it('shows a ratio as a percentage with one decimal', () => {
    expect(formatRate(0.857142)).toBe('85.7%')
    expect(formatRate(1)).toBe('100.0%')
    expect(formatRate(0)).toBe('0.0%')
  })

  it('shows a dash where the server has no rate (nothing closed with a due date)', () => {
    expect(formatRate(null)).toBe('—')
    expect(formatRate(undefined)).toBe('—')
    expect(formatPercent(null)).toBe('—')
  })

  it('shows the server percent without recomputing it', () => {
    expect(formatPercent('62.5')).toBe('62.5%')
  })

  it('names the rungs it knows and keeps a ladder rung as written', () => {
    expect(rungLabel('reminder', 'zh-CN')).toBe('提醒')
    expect(rungLabel('overdue', 'en')).toBe('Overdue')
    expect(rungLabel('约谈', 'zh-CN')).toBe('约谈')
    expect(rungLabel('listed-supervision', 'zh-CN')).toBe('挂牌督办')
    expect(rungLabel('supervision', 'en')).toBe('Supervision notice')
  })
})

/** The part's arguments without its title: what the API is asked for. */
function asked(parts: DrillPart[]) {
  return parts.map(({ titleKey: _, ...rest }) => rest)
}

describe('every figure drills down to the issue list it counts', () => {
  it('opens the open issues as two lists, being rectified and awaiting verification', () => {
    expect(tileDrill('c1', 'open').map((part) => (part.list === 'issues' ? part.filter : null))).toEqual([
      { campaign: 'c1', status: 'OPEN' },
      { campaign: 'c1', status: 'SUBMITTED' },
    ])
  })

  it('opens the overdue issues of the campaign', () => {
    expect(tileDrill('c1', 'overdue')).toEqual([{ list: 'issues', titleKey: 'cockpit.overdueIssues', filter: { campaign: 'c1', overdue: true } }])
  })

  it('opens one agency\'s overdue issues from its bar', () => {
    expect(asked(agencyDrill('c1', 'a9', 'overdue'))).toEqual([{ list: 'issues', filter: { campaign: 'c1', agency: 'a9', overdue: true } }])
    expect(asked(agencyDrill('c1', 'a9', 'closed'))).toEqual([{ list: 'issues', filter: { campaign: 'c1', agency: 'a9', status: 'CLOSED' } }])
    expect(agencyDrill('c1', 'a9', 'open')).toHaveLength(2)
  })
})

describe('every statistics and progress figure drills down to the list it counts', () => {
  it("opens a week's bar as the items opened, or closed, in that week", () => {
    expect(asked(weekDrill('c1', '2026-03-02', 'opened'))).toEqual([{ list: 'items', campaign: 'c1', filter: { openedWeek: '2026-03-02' } }])
    expect(asked(weekDrill('c1', '2026-03-02', 'closed'))).toEqual([{ list: 'items', campaign: 'c1', filter: { closedWeek: '2026-03-02' } }])
  })

  it("opens a rung's bar as the escalations recorded at that rung", () => {
    expect(asked(rungDrill('c1', 'supervision'))).toEqual([{ list: 'escalations', campaign: 'c1', rung: 'supervision' }])
  })

  it("opens a region's bar as its items of that count, the no-region row included", () => {
    expect(asked(regionDrill('c1', '某县', 'overdue'))).toEqual([{ list: 'items', campaign: 'c1', filter: { region: '某县', state: 'OVERDUE' } }])
    expect(asked(regionDrill('c1', null, 'open'))).toEqual([{ list: 'items', campaign: 'c1', filter: { noRegion: true, state: 'OPEN' } }])
    expect(asked(regionDrill('c1', '某市', 'closed'))[0]).toMatchObject({ filter: { state: 'CLOSED' } })
  })

  it("opens a kind's on-time rate as the two counts it divides", () => {
    expect(asked(kindDrill('c1', 'REFERRAL'))).toEqual([
      { list: 'items', campaign: 'c1', filter: { kind: 'REFERRAL', state: 'CLOSED_ON_TIME' } },
      { list: 'items', campaign: 'c1', filter: { kind: 'REFERRAL', state: 'CLOSED_WITH_DUE_DATE' } },
    ])
    expect(tileDrill('c1', 'onTime')).toEqual(kindDrill('c1', 'ISSUE'))
  })

  it("opens a region's case count as its cases of the year shown", () => {
    expect(asked(enforcementDrill('c1', 2026, '甲县'))).toEqual([{ list: 'cases', campaign: 'c1', year: 2026, region: '甲县' }])
  })

  it('opens a coverage row as the institutions of its category inspected', () => {
    expect(asked(coverageDrill('c1', '诊所'))).toEqual([{ list: 'inspections', campaign: 'c1', category: '诊所' }])
  })

  it('opens the reports tile as the agencies that have not reported and those that have', () => {
    expect(asked(tileDrill('c1', 'reports'))).toEqual([
      { list: 'reports', campaign: 'c1', state: 'OUTSTANDING' },
      { list: 'reports', campaign: 'c1', state: 'RECEIVED' },
    ])
  })

  it('opens the all-kinds overdue tile as every overdue item of the campaign', () => {
    expect(asked(tileDrill('c1', 'overdueAll'))).toEqual([{ list: 'items', campaign: 'c1', filter: { state: 'OVERDUE' } }])
  })
})
