import { describe, expect, it } from 'vitest'

import type { CockpitQuery } from '@/gql/graphql'
import { enforcement, overdueAgencies, overdueByAgency } from '@/views/cockpit/charts'

type Dashboard = NonNullable<CockpitQuery['dashboard']>

const row = (name: string, overdue: number) => ({
  agency: { id: `id-${name}`, name },
  lead: 1,
  coResponsible: 0,
  open: overdue,
  closed: 0,
  overdue,
})
const dashboard: Dashboard = {
  totalIssues: 6,
  open: 6,
  closed: 0,
  overdue: 5,
  byAgency: [row('县医保局', 1), row('县卫健局', 4), row('县公安局', 0)],
}

describe('the cockpit charts draw the server figures', () => {
  it('lists agencies with overdue issues, most first, leaving out those with none', () => {
    expect(overdueAgencies(dashboard).map((r) => r.agency.name)).toEqual(['县卫健局', '县医保局'])
  })

  it('draws one bar per overdue agency with the server count', () => {
    const option = overdueByAgency(dashboard, 'zh-CN') as { yAxis: { data: string[] }; series: { name: string; data: number[] }[] }
    expect(option.yAxis.data).toEqual(['县卫健局', '县医保局'])
    expect(option.series[0]!.data).toEqual([4, 1])
    expect(option.series[0]!.name).toBe('逾期')
  })

  it('marks a region below its enforcement threshold and draws the threshold beside it', () => {
    const option = enforcement(
      [
        { region: '甲县', count: 2, threshold: 5, belowThreshold: true },
        { region: '乙县', count: 6, threshold: 5, belowThreshold: false },
      ],
      'en',
    ) as { series: { name: string; data: ({ value: number; itemStyle: { color: string } } | number)[] }[] }
    const [cases, threshold] = option.series
    expect(cases!.name).toBe('Cases')
    expect(cases!.data.map((d) => (typeof d === 'number' ? d : d.value))).toEqual([2, 6])
    const colors = cases!.data.map((d) => (typeof d === 'number' ? '' : d.itemStyle.color))
    expect(colors[0]).not.toBe(colors[1])
    expect(threshold!.data).toEqual([5, 5])
  })
})
