// 工作日历: the years the clocks count on and loading a year's arrangement (api/calendar.py).
import { graphql } from '@/gql'

import { gql, settle } from './http'

export const CALENDAR_YEARS = graphql(`
  query CalendarYears {
    calendarYears { year source provisional document loadedBy loadedAt holidays workingDays }
  }
`)

export const LOAD_CALENDAR = graphql(`
  mutation LoadCalendar($year: Int!, $holidays: [String!]!, $workingDays: [String!], $source: String!) {
    result: loadCalendar(year: $year, holidays: $holidays, workingDays: $workingDays, source: $source) {
      __typename
      ... on CalendarLoaded { changed missingStatutoryHolidays { day name } calendar { year source } }
      ... on NotAllowed { message }
      ... on InvalidInput { message field }
      ... on Conflict { message }
    }
  }
`)

export interface YearToLoad {
  year: number
  holidays: string[]
  workingDays: string[]
  source: string
}

export async function calendarYears() {
  return (await gql(CALENDAR_YEARS)).calendarYears
}

/** Whether anything changed, and the statutory holidays the arrangement leaves working. */
export async function loadCalendar(load: YearToLoad) {
  const { result } = await gql(LOAD_CALENDAR, load)
  settle(result)
  if (result.__typename !== 'CalendarLoaded') throw new Error(result.__typename)
  return { changed: result.changed, missing: result.missingStatutoryHolidays }
}
