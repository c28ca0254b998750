// 牵头办: referrals across agencies (returned, unclaimed, overdue; reassigned through
// api/referrals.ts), pending extensions and overdue issues. Every list is keyset-paged by the API.
import { graphql } from '@/gql'
import type { ReferralStatus } from '@/gql/graphql'

import { gql, settle } from './http'

export const PAGE_SIZE = 20

export const SUPERVISED_REFERRALS = graphql(`
  query SupervisedReferrals($status: ReferralStatus, $overdue: Boolean, $first: Int!, $after: String) {
    referralQueue(filter: { status: $status, overdue: $overdue }, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id status statusLabel reason round
          sender { id name }
          receiver { id name }
          sentAt dueAt overdue provisional
        }
      }
    }
  }
`)

export const CAMPAIGNS = graphql(`
  query Campaigns {
    campaigns { id title }
  }
`)

export const PENDING_EXTENSIONS = graphql(`
  query PendingExtensions($first: Int!, $after: String) {
    issues(filter: { pendingExtension: true }, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id number problem status overdue pendingExtensionDue pendingExtensionText
          campaign { id title }
          leadAgency { id name }
          deadline { kind dueDate text }
          history { type summary at }
        }
      }
    }
  }
`)

export const OVERDUE_ISSUES = graphql(`
  query OverdueIssues($campaign: ID, $first: Int!, $after: String) {
    issues(filter: { overdue: true, campaign: $campaign }, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id number problem status overdue
          campaign { id title }
          leadAgency { id name }
          deadline { kind dueDate text }
        }
      }
    }
  }
`)

export const APPROVE_EXTENSION = graphql(`
  mutation ApproveExtension($id: ID!, $comment: String!) {
    result: approveExtension(issueId: $id, comment: $comment) {
      ...IssueOutcome
    }
  }
`)

export const DENY_EXTENSION = graphql(`
  mutation DenyExtension($id: ID!, $reason: String!) {
    result: denyExtension(issueId: $id, reason: $reason) {
      ...IssueOutcome
    }
  }
`)

export function supervisedReferrals(status: ReferralStatus | null, overdue: boolean | null, after: string | null) {
  return gql(SUPERVISED_REFERRALS, { status, overdue, first: PAGE_SIZE, after })
}

export async function campaigns() {
  return (await gql(CAMPAIGNS)).campaigns
}

export function pendingExtensions(after: string | null) {
  return gql(PENDING_EXTENSIONS, { first: PAGE_SIZE, after })
}

export function overdueIssues(campaign: string | null, after: string | null) {
  return gql(OVERDUE_ISSUES, { campaign, first: PAGE_SIZE, after })
}

export async function approveExtension(id: string, comment: string): Promise<void> {
  settle((await gql(APPROVE_EXTENSION, { id, comment })).result)
}

export async function denyExtension(id: string, reason: string): Promise<void> {
  settle((await gql(DENY_EXTENSION, { id, reason })).result)
}
