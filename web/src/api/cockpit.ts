// 领导驾驶舱: every figure as the server computes it (working days on the official calendar),
// and the issue lists the figures drill down to, keyset-paged by the API.
import { graphql } from '@/gql'
import type { FigureItemFilter, IssueFilter, ReportState } from '@/gql/graphql'

import type { DrillPart } from '@/utils/cockpit'
import type { KeysetPage } from '@/utils/keyset'

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

// The lists behind the statistics and progress figures (ADR 0048): each `totalCount` is the
// figure of the same arguments.
export const DRILL_FIGURE_ITEMS = graphql(`
  query DrillFigureItems($campaign: ID, $filter: FigureItemFilter!, $first: Int!, $after: String) {
    figureItems(campaign: $campaign, filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id kind label agency { id name } openedAt closedAt dueDate overdue } }
    }
  }
`)

export const DRILL_ESCALATIONS = graphql(`
  query DrillEscalations($campaign: ID, $rung: String!, $first: Int!, $after: String) {
    escalationsFired(campaign: $campaign, rung: $rung, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { itemId kind label agency { id name } rung at } }
    }
  }
`)

export const DRILL_CASES = graphql(`
  query DrillCases($year: Int!, $campaign: ID, $region: String!, $first: Int!, $after: String) {
    enforcementCaseList(year: $year, campaign: $campaign, region: $region, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id number filedOn region agency { id name } } }
    }
  }
`)

export const DRILL_INSPECTIONS = graphql(`
  query DrillInspections($campaign: ID!, $category: String!, $first: Int!, $after: String) {
    inspectedInstitutions(campaign: $campaign, category: $category, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id institution region firstOn lastOn } }
    }
  }
`)

export const DRILL_REPORTS = graphql(`
  query DrillReports($campaign: ID!, $state: ReportState!, $first: Int!, $after: String) {
    reportList(campaign: $campaign, state: $state, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { itemId name period dueDate submittedOn agency { id name } } }
    }
  }
`)

export async function drillFigureItems(campaign: string, filter: FigureItemFilter, after: string | null) {
  return (await gql(DRILL_FIGURE_ITEMS, { campaign, filter, first: PAGE_SIZE, after })).figureItems
}

export async function drillEscalations(campaign: string, rung: string, after: string | null) {
  return (await gql(DRILL_ESCALATIONS, { campaign, rung, first: PAGE_SIZE, after })).escalationsFired
}

export async function drillCases(campaign: string, year: number, region: string, after: string | null) {
  return (await gql(DRILL_CASES, { campaign, year, region, first: PAGE_SIZE, after })).enforcementCaseList
}

export async function drillInspections(campaign: string, category: string, after: string | null) {
  return (await gql(DRILL_INSPECTIONS, { campaign, category, first: PAGE_SIZE, after })).inspectedInstitutions
}

export async function drillReports(campaign: string, state: ReportState, after: string | null) {
  return (await gql(DRILL_REPORTS, { campaign, state, first: PAGE_SIZE, after })).reportList
}

/** A page of the list `part` names, as keysetList reads it. */
export async function drillPage(part: DrillPart, after: string | null): Promise<KeysetPage<Record<string, unknown>>> {
  switch (part.list) {
    case 'issues':
      return (await drillIssues(part.filter, after)).issues
    case 'items':
      return drillFigureItems(part.campaign, part.filter, after)
    case 'escalations':
      return drillEscalations(part.campaign, part.rung, after)
    case 'cases':
      return drillCases(part.campaign, part.year, part.region, after)
    case 'inspections':
      return drillInspections(part.campaign, part.category, after)
    case 'reports':
      return drillReports(part.campaign, part.state, after)
  }
}
