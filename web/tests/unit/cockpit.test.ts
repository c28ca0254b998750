import { describe, expect, it } from 'vitest'

import { agencyDrill, formatPercent, formatRate, rungLabel, tileDrill } from '@/utils/cockpit'

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
  })
})

describe('every figure drills down to the issue list it counts', () => {
  it('opens the open issues as two lists, being rectified and awaiting verification', () => {
    expect(tileDrill('c1', 'open').map((part) => part.filter)).toEqual([
      { campaign: 'c1', status: 'OPEN' },
      { campaign: 'c1', status: 'SUBMITTED' },
    ])
  })

  it('opens the overdue issues of the campaign', () => {
    expect(tileDrill('c1', 'overdue')).toEqual([{ titleKey: 'cockpit.overdueIssues', filter: { campaign: 'c1', overdue: true } }])
  })

  it('opens one agency\'s overdue issues from its bar', () => {
    expect(agencyDrill('c1', 'a9', 'overdue')[0]!.filter).toEqual({ campaign: 'c1', agency: 'a9', overdue: true })
    expect(agencyDrill('c1', 'a9', 'closed')[0]!.filter).toEqual({ campaign: 'c1', agency: 'a9', status: 'CLOSED' })
    expect(agencyDrill('c1', 'a9', 'open')).toHaveLength(2)
  })
})
