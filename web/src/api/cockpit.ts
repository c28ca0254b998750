// 领导驾驶舱: every figure as the server computes it (working days on the official calendar),
// and the issue lists the figures drill down to, keyset-paged by the API.
import { graphql } from '@/gql'
import type { IssueFilter } from '@/gql/graphql'

import { gql } from './http'

export const COCKPIT_CAMPAIGNS = graphql(`
  query CockpitCampaigns {
    campaigns { id title }
  }
`)

export const COCKPIT = graphql(`
  query Cockpit($campaign: ID!, $year: Int!) {
    dashboard(campaign: $campaign) {
      totalIssues open closed overdue
      byAgency { agency { id name } lead coResponsible open closed overdue }
    }
    statistics(campaign: $campaign) {
      asOf
      total { open closed overdue closedWithDueDate closedOnTime onTimeRate }
      byKind { kind counts { open closed overdue closedWithDueDate closedOnTime onTimeRate } }
      byAgency { agency { id name } counts { open closed overdue closedWithDueDate closedOnTime onTimeRate } }
      byRegion { region counts { open closed overdue onTimeRate } }
      escalations { rung count }
      weekly(weeks: 12) { weekStart opened closed }
      overdue(first: 10) {
        totalCount
        items { id kind label agency { id name } dueDate workingDaysOverdue }
      }
    }
    campaignProgress(campaign: $campaign) {
      asOf
      currentPhase { name starts ends }
      reports { due received outstanding overdue }
      coverage { category region population requiredPercent inspected percent met }
    }
    enforcementCases(year: $year, campaign: $campaign) { region count threshold belowThreshold }
  }
`)

export const DRILL_ISSUES = graphql(`
  query DrillIssues($filter: IssueFilter!, $first: Int!, $after: String) {
    issues(filter: $filter, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id number problem status overdue
          leadAgency { id name }
          deadline { kind dueDate text }
        }
      }
    }
  }
`)

export const PAGE_SIZE = 20

export function cockpitCampaigns() {
  return gql(COCKPIT_CAMPAIGNS)
}

export function cockpit(campaign: string, year: number) {
  return gql(COCKPIT, { campaign, year })
}

export function drillIssues(filter: IssueFilter, after: string | null) {
  return gql(DRILL_ISSUES, { filter, first: PAGE_SIZE, after })
}
