// The cockpit's chart options, built from the server's figures as they are.
import type { EChartsCoreOption } from 'echarts/core'

import type { CockpitQuery } from '@/gql/graphql'
import { translate } from '@/i18n'
import type { Locale } from '@/i18n/messages'
import { rungLabel } from '@/utils/cockpit'

type Dashboard = NonNullable<CockpitQuery['dashboard']>
type Statistics = NonNullable<CockpitQuery['statistics']>
type Enforcement = CockpitQuery['enforcementCases']

const GRID = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true }
const RED = '#f56c6c'
const GREEN = '#67c23a'
const BLUE = '#409eff'
const ORANGE = '#e6a23c'

/** Agencies with overdue issues, most first: the bars a leader clicks to see them. */
export function overdueAgencies(dashboard: Dashboard) {
  return dashboard.byAgency.filter((row) => row.overdue > 0).sort((a, b) => b.overdue - a.overdue)
}

export function overdueByAgency(dashboard: Dashboard, lang: Locale): EChartsCoreOption {
  const rows = overdueAgencies(dashboard)
  return {
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((row) => row.agency.name) },
    series: [{ name: translate(lang, 'cockpit.overdue'), type: 'bar', data: rows.map((row) => row.overdue), itemStyle: { color: RED } }],
  }
}

export function agencyIssues(dashboard: Dashboard, lang: Locale): EChartsCoreOption {
  const rows = dashboard.byAgency
  const series = (key: 'open' | 'closed' | 'overdue', color: string) => ({
    id: key,
    name: translate(lang, `cockpit.${key}`),
    type: 'bar',
    data: rows.map((row) => row[key]),
    itemStyle: { color },
  })
  return {
    grid: GRID,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map((row) => row.agency.name), axisLabel: { interval: 0, rotate: rows.length > 5 ? 30 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [series('open', BLUE), series('closed', GREEN), series('overdue', RED)],
  }
}

export function onTimeByKind(statistics: Statistics, lang: Locale): EChartsCoreOption {
  const rows = statistics.byKind.filter((row) => row.counts.onTimeRate !== null)
  return {
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map((row) => translate(lang, `kind.${row.kind}`)) },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: [
      {
        type: 'bar',
        // the server's ratio, shown in percent
        data: rows.map((row) => Math.round((row.counts.onTimeRate ?? 0) * 1000) / 10),
        itemStyle: { color: GREEN },
        label: { show: true, position: 'top', formatter: '{c}%' },
      },
    ],
  }
}

export function weekly(statistics: Statistics, lang: Locale): EChartsCoreOption {
  return {
    grid: GRID,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: statistics.weekly.map((week) => week.weekStart.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      // bars, not a line: a leader clicks a week's bar to see its items
      { id: 'opened', name: translate(lang, 'cockpit.opened'), type: 'bar', data: statistics.weekly.map((week) => week.opened), itemStyle: { color: ORANGE } },
      { id: 'closed', name: translate(lang, 'cockpit.closed'), type: 'bar', data: statistics.weekly.map((week) => week.closed), itemStyle: { color: GREEN } },
    ],
  }
}

export function escalations(statistics: Statistics, lang: Locale): EChartsCoreOption {
  return {
    grid: GRID,
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: statistics.escalations.map((row) => rungLabel(row.rung, lang)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: translate(lang, 'cockpit.count'), type: 'bar', data: statistics.escalations.map((row) => row.count), itemStyle: { color: ORANGE } }],
  }
}

export function regions(statistics: Statistics, lang: Locale): EChartsCoreOption {
  const rows = statistics.byRegion
  const names = rows.map((row) => row.region ?? translate(lang, 'cockpit.noRegion'))
  const series = (key: 'open' | 'closed' | 'overdue', color: string) => ({
    id: key,
    name: translate(lang, `cockpit.${key}`),
    type: 'bar',
    data: rows.map((row) => row.counts[key]),
    itemStyle: { color },
  })
  return {
    grid: GRID,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value', minInterval: 1 },
    series: [series('open', BLUE), series('closed', GREEN), series('overdue', RED)],
  }
}

export function enforcement(rows: Enforcement, lang: Locale): EChartsCoreOption {
  return {
    grid: GRID,
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: rows.map((row) => row.region) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        id: 'cases',
        name: translate(lang, 'cockpit.cases'),
        type: 'bar',
        data: rows.map((row) => ({ value: row.count, itemStyle: { color: row.belowThreshold ? RED : GREEN } })),
      },
      {
        name: translate(lang, 'cockpit.threshold'),
        type: 'line',
        step: 'middle',
        symbol: 'none',
        data: rows.map((row) => row.threshold),
        itemStyle: { color: ORANGE },
        lineStyle: { type: 'dashed' },
      },
    ],
  }
}
